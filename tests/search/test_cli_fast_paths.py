"""The shortcuts that keep `lawbot law` and `lawbot ask` fast say the same as the slow paths."""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
from pathlib import Path

from bot.catalog.laws import LawLibrary
from bot.domain.numerals import _plain_cn, int_to_cn

REPO = Path(__file__).resolve().parents[2]


def test_usual_numerals_are_read_without_cn2an_and_agree_with_it():
    import cn2an

    assert all(_plain_cn(int_to_cn(n)) == n for n in range(1, 10000))
    checked = 0
    for size in range(1, 5):
        for chars in itertools.product("零一二三四五六七八九十百千两〇", repeat=size):
            text = "".join(chars)
            value = _plain_cn(text)
            if value is None:
                continue  # left to cn2an
            checked += 1
            assert float(cn2an.cn2an(text, "smart")) == value, text
    assert checked > 800


def test_the_bank_formats_written_out_in_the_cli_are_the_bank_formats():
    from bot.catalog.bank_io import FORMATS
    from bot.cli_bank import FORMATS as CLI_FORMATS

    assert CLI_FORMATS == FORMATS


def test_the_cli_default_content_root_is_the_configs():
    from bot.cli_lookup import _root
    from bot.config import default_content_root

    assert _root(argparse.Namespace(content=None, config=None), lambda args: None) == default_content_root()


def test_a_lazy_law_library_parses_only_the_law_asked_for():
    laws = LawLibrary.load(REPO / "content" / "laws", lazy=True)
    eager = LawLibrary.load(REPO / "content" / "laws")
    assert not any(law._articles for law in laws.laws.values())
    civil = laws.get("民法典")
    assert civil.articles[1254].text == eager.get("民法典").articles[1254].text
    assert civil.revision == eager.get("民法典").revision and civil.title == eager.get("民法典").title
    assert sum(1 for law in laws.laws.values() if law._articles is not None) == 1


def test_printing_an_article_loads_neither_the_catalog_nor_the_tokenisers():
    code = ("import sys; from bot.cli import main; rc = main(['law', '民法典', '1254']); "
            "heavy = [m for m in ('jieba', 'pypinyin', 'openpyxl', 'bot.catalog.catalog', 'cn2an') if m in sys.modules]; "
            "print(rc, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout + out.stderr
    assert "第一千二百五十四条" in out.stdout


def test_building_a_bot_does_not_import_the_spreadsheet_library():
    """openpyxl (with numpy and Pillow, ~0.18 s and ~25 MB) is imported when a workbook is read
    or written, not when `lawbot chat`, `lawbot run` or an admin command starts."""
    code = ("import sys; import bot.bootstrap, bot.serving, bot.cli_chat, bot.cli_admin; "
            "print([m for m in ('openpyxl', 'numpy', 'PIL') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
