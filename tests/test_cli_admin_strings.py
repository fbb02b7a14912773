"""The command line's own lines come from bot/texts.py (Chinese first, English with --lang en):
the admin imports' fallback for a file that cannot be read, the content check's summary, `lawbot
ask` / `lawbot law` lines and `lawbot run`'s missing-token error. A source check keeps English
sentences out of bot/cli*.py code (argparse help, docstrings and SQL aside)."""

from __future__ import annotations

import ast
import errno
import re
from pathlib import Path

import pytest

import bot.catalog.roster
from bot.cli_run import run_telegram
from bot.config import ConfigError
from bot.texts import EN, ZH
from tests.support.cli import lawbot
from tests.support.transcript import config_for

BOT = Path(__file__).resolve().parents[1] / "bot"

# English prose: two words in a row, or a count followed by a word ("{} articles")
_PROSE = re.compile(r"[A-Za-z]{2,}[,;:]? [A-Za-z(]{2,}|\{\} [A-Za-z]{3,}")
_SQL = re.compile(r"^\s*(SELECT|PRAGMA|INSERT|UPDATE|DELETE|CREATE|WITH)\b")
_ARGPARSE = {"add_parser", "add_argument", "add_subparsers", "ArgumentParser", "add_argument_group",
             "add_mutually_exclusive_group"}


def _english_literals(path: Path) -> list[str]:
    """Each string (an f-string with {} for its values) in the file's code that reads as English
    prose: what a print or an error would show a person."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                and ast.get_docstring(node) is not None:
            skip.add(id(node.body[0].value))  # type: ignore[attr-defined]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _ARGPARSE:  # --help is argparse's own English
                skip.update(id(sub) for sub in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            skip.update(id(v) for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if _PROSE.search(text) and not _SQL.match(text):
            found.append(f"{path.name}:{node.lineno}: {text[:80]}")
    return found


def test_the_command_line_code_holds_no_english_sentences():
    found = [line for path in sorted(BOT.glob("cli*.py")) for line in _english_literals(path)]
    assert found == []


def test_the_source_check_sees_a_printed_sentence(tmp_path):
    sample = tmp_path / "cli_sample.py"
    sample.write_text('import argparse\n\ndef f(n):\n    """A docstring is fine."""\n'
                      '    argparse.ArgumentParser().add_argument("--x", help="the help is argparse\'s")\n'
                      '    print(f"{n} articles")\n    return "cannot read the file"\n', encoding="utf-8")
    assert sorted(line.split(": ", 1)[1] for line in _english_literals(sample)) == ["cannot read the file", "{} articles"]


def test_the_new_keys_have_both_languages():
    keys = ("imp_file_unreadable", "cli_check_counts", "cli_check_ok", "cli_check_failed", "cli_content_problems",
            "cli_ask_unsure", "cli_law_usage", "cli_law_overview", "cli_no_telegram_token")
    assert [k for k in keys if not (ZH.get(k) and EN.get(k))] == []
    assert all(re.search(r"[\u4e00-\u9fff]", ZH[k]) for k in keys)


@pytest.mark.parametrize(("lang", "expected"), [("zh", "名册.csv:0: 无法读取文件（Input/output error）"),
                                                ("en", "名册.csv:0: cannot read the file (Input/output error)")])
def test_a_file_the_system_cannot_read_is_one_line_in_the_admins_language(tmp_path, monkeypatch, lang, expected):
    """An OSError with no reason of its own (a disk error) while the units file is read."""
    def unreadable(path, known):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(bot.catalog.roster, "load_units", unreadable)
    units = tmp_path / "名册.csv"
    units.write_text("id,name\n", encoding="utf-8")
    result = lawbot("--lang", lang, "units", "import", str(units), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert expected in result.stderr.splitlines()


def test_lawbot_law_and_ask_speak_the_users_language():
    usage = lawbot("--lang", "zh", "law")
    assert usage.returncode == 2 and usage.stderr.startswith("用法：lawbot law 民法典 1254")
    whole = lawbot("--lang", "zh", "law", "刑法")
    assert whole.returncode == 0 and whole.stdout.splitlines()[0].endswith("条") and "articles" not in whole.stdout
    english = lawbot("--lang", "en", "law", "刑法")
    assert english.stdout.splitlines()[0].endswith(" articles")
    missing = lawbot("--lang", "zh", "law", "刑法", "9999")
    assert missing.returncode == 1 and "lawbot: 《刑法》没有第 9999 条" in missing.stderr


async def test_run_without_a_token_says_so_in_chinese(tmp_path, monkeypatch):
    monkeypatch.delenv("LAWBOT_TELEGRAM_TOKEN", raising=False)
    with pytest.raises(ConfigError) as refused:
        await run_telegram(config_for(tmp_path))
    assert "没有机器人令牌" in refused.value.text("zh") and "LAWBOT_TELEGRAM_TOKEN" in refused.value.text("zh")
    assert "no bot token" in refused.value.text("en")
