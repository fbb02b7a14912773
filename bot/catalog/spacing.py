"""Spaces next to Chinese punctuation ("进出， 雨季", "诉至法院。 离婚后") are slips: typed, or made
by YAML's folded style (`>`), which joins wrapped lines with a space. `tidy` removes them (the
YAML loader applies it to every string of the content); `stray_spaces` finds them in the source
files, for `lawbot content check`. Spaces between two words, or around Latin text, are kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_CLOSING = "，。、；：？！）》」』】”"
STRAY = re.compile(rf"(?<=[{_CLOSING}])[ \t\u3000]+(?=[^\sA-Za-z])|(?<=[\u4e00-\u9fff])[ \t]+(?=[{_CLOSING}])")
CONTENT_GLOBS = ("quizzes/**/*.yaml", "content/**/*.yaml")


def tidy(text: str) -> str:
    return STRAY.sub("", text) if text else text


@dataclass(frozen=True, slots=True)
class StraySpace:
    file: str
    line: int  # where the string starts in the file
    context: str  # a few characters either side of the space


class _Finder(yaml.SafeLoader):
    """Loads a file as written (no tidying) and notes each string with a stray space."""

    def __init__(self, stream):
        super().__init__(stream)
        self.found: list[tuple[int, str]] = []


def _string(loader: _Finder, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    for match in STRAY.finditer(value):
        context = value[max(0, match.start() - 8):match.end() + 8].replace("\n", " ")
        loader.found.append((node.start_mark.line + 1, context))
    return value


_Finder.add_constructor("tag:yaml.org,2002:str", _string)


def stray_spaces(root: Path) -> list[StraySpace]:
    """Every string in the content's YAML files with a space next to Chinese punctuation."""
    found: list[StraySpace] = []
    paths = sorted({p for pattern in CONTENT_GLOBS for p in root.glob(pattern)})
    for path in paths:
        try:
            loader = _Finder(path.read_text(encoding="utf-8"))
            try:
                loader.get_single_data()
            finally:
                loader.dispose()
        except (UnicodeDecodeError, yaml.YAMLError):
            continue  # the content check reports unreadable files itself
        shown = str(path.relative_to(root))
        found.extend(StraySpace(shown, line, context) for line, context in loader.found)
    return found
