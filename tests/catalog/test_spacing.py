"""No stray spaces next to Chinese punctuation: the loader tidies every content string, the
content check flags them in the source files, and the shipped files have none."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.spacing import stray_spaces, tidy
from bot.catalog.yamlsrc import load_yaml
from tests.support.cli import lawbot

REPO = Path(__file__).resolve().parents[2]
FOLDED = """\
title: 相邻通行
facts: >-
  刘某多年来一直走陈某地边的一条小路进出，
  雨季时改走另一条路。 两人协商不成诉至法院。
  离婚后 ，孩子随母亲生活。
heading: 第一章 总则
cite: 民法典 1254
english: “Article 4” says so
"""


@pytest.mark.parametrize("raw, tidied", [
    ("进出， 雨季", "进出，雨季"), ("诉至法院。 离婚后", "诉至法院。离婚后"), ("规定：　“不收费”", "规定：“不收费”"),
    ("离婚后 ，孩子", "离婚后，孩子"), ("第一章 总则", "第一章 总则"), ("民法典 1254", "民法典 1254"),
    ("“Article 4” says", "“Article 4” says"), ("A. 甲\nB. 乙", "A. 甲\nB. 乙"), ("第一段。\n第二段", "第一段。\n第二段"),
])
def test_tidy(raw, tidied):
    assert tidy(raw) == tidied


def test_the_loader_tidies_folded_lines(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(FOLDED, encoding="utf-8")
    data = load_yaml(path)
    assert data["facts"] == "刘某多年来一直走陈某地边的一条小路进出，雨季时改走另一条路。两人协商不成诉至法院。离婚后，孩子随母亲生活。"
    assert (data["heading"], data["cite"], data["english"]) == ("第一章 总则", "民法典 1254", "“Article 4” says so")


def test_the_content_check_flags_them_in_the_source(tmp_path):
    (tmp_path / "content" / "cases").mkdir(parents=True)
    (tmp_path / "content" / "cases" / "tongxing.yaml").write_text(FOLDED, encoding="utf-8")
    found = stray_spaces(tmp_path)
    assert [(s.file, s.line) for s in found] == [("content/cases/tongxing.yaml", 2)] * 4
    assert "进出， 雨季" in found[0].context
    result = lawbot("content", "check", "--content", str(tmp_path))
    assert result.returncode == 1
    assert "content/cases/tongxing.yaml:2: 中文标点旁有多余的空格：“" in result.stdout


def test_the_shipped_content_has_none():
    assert [f"{s.file}:{s.line}: {s.context}" for s in stray_spaces(REPO)] == []


async def test_a_case_reads_without_stray_spaces(chat):
    await chat.say("/case 通行")
    await chat.press("出路")
    assert "进出，" in chat.text and "进出， " not in chat.text and "。 " not in chat.text
