"""YAML loading that remembers the line of every mapping, for `file:line: reason` messages, and
tidies every string (no stray spaces next to Chinese punctuation, see bot.catalog.spacing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.catalog.spacing import tidy

LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    pass


# The same loader on libyaml's C parser when PyYAML has it (five times faster on the shipped
# bank; the same values and lines). Its error messages are worded differently, so a file it
# refuses is parsed again with the pure-Python loader for the message (see load_yaml).
class _FastLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


def _construct_string(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    return tidy(loader.construct_scalar(node))


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor("tag:yaml.org,2002:str", _construct_string)


class SourceError(Exception):
    def __init__(self, path: Path, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; mappings carry LINE_KEY. Raises SourceError on bad YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(path, 1, f"not UTF-8 ({exc.reason})") from None
    try:
        return yaml.load(text, Loader=_FastLineLoader)
    except yaml.YAMLError:
        pass  # reported below as the pure-Python parser words it
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise SourceError(path, line, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise SourceError(path, 1, f"invalid YAML: {exc}") from None


def line_of(node: Any, default: int = 1) -> int:
    return node.get(LINE_KEY, default) if isinstance(node, dict) else default


def clean(node: Any) -> Any:
    """Drop the line markers (for exporting)."""
    if isinstance(node, dict):
        return {k: clean(v) for k, v in node.items() if k != LINE_KEY}
    if isinstance(node, list):
        return [clean(v) for v in node]
    return node
