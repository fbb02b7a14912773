"""load_yaml parses with libyaml's C parser when PyYAML has it, and must give exactly what the
pure-Python parser gives: the same values and lines, and for a bad file the same message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalog import yamlsrc
from bot.catalog.yamlsrc import SourceError, load_yaml

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted([*REPO.glob("content/**/*.y*ml"), *REPO.glob("quizzes/**/*.y*ml")])


def test_the_c_parser_is_used_when_available():
    assert SHIPPED
    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(yamlsrc._FastLineLoader, yaml.CSafeLoader)


def test_shipped_files_read_as_the_pure_python_parser_reads_them():
    """Every content file and exam, and every fifth bank file (the pure-Python parser takes
    about two seconds of CPU for the whole bank)."""
    bank = [p for p in SHIPPED if "bank" in p.parts]
    for path in [p for p in SHIPPED if p not in bank] + bank[::5]:
        slow = yaml.load(path.read_text(encoding="utf-8"), Loader=yamlsrc._LineLoader)
        assert repr(load_yaml(path)) == repr(slow), path


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("a: [1, 2\nb: 3\n", 2, "expected ',' or ']', but got ':'"),
    ("a: b: c\n", 1, "mapping values are not allowed here"),
    ("x: 1\n- y\n", 2, "expected <block end>, but found '-'"),
    ("a: *nope\n", 1, "found undefined alias 'nope'"),
])
def test_a_bad_file_is_worded_as_the_pure_python_parser_words_it(tmp_path, text, line, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_yaml(path)
    assert (caught.value.line, caught.value.reason) == (line, f"invalid YAML: {problem}")
