"""Pass certificates end to end through the console channel: bind, pass the official exam, the
PDF (its text read back with pypdf, page 1 rendered with pdftoppm), /cert lists and re-sends,
and verification of a valid, a forged and a revoked serial on the command line and on the
HTTP page; revocation by a super admin only, recorded in the admin log."""

from __future__ import annotations

import asyncio
import io
import os
import random
import re
import shutil
import subprocess

import aiohttp
import pytest
from pypdf import PdfReader

from bot.app.certs import Certificates
from bot.bootstrap import build, load_checked_catalog, own_catalog
from bot.cert_page import verify_routes
from bot.cli import main as cli
from bot.clock import ManualClock
from bot.httpserver import HttpServer
from tests.app.test_official_exam import EXAM, JAN_17, _practice, _sit, imported  # noqa: F401 (fixture)
from tests.support.sql import sql_one, sql_write
from tests.support.transcript import REPO, Chat, config_for

PUBLIC = "https://lawbot.example.org"


@pytest.fixture
async def org_app(imported):
    """The shipped org imported, a super admin, and the public URL the QR codes point to."""
    config = config_for(imported, admin={"super_admins": ["cli:admin"]}, http={"public_url": PUBLIC})
    application = await build(config, clock=ManualClock(JAN_17), rng=random.Random(3),
                              database=imported / "lawbot.sqlite3", catalog=own_catalog(load_checked_catalog(REPO)))
    yield application
    await application.close()


async def run_cli(argv: list[str]) -> int:
    """`lawbot ...` as an admin would run it beside the running bot (its own event loop)."""
    return await asyncio.to_thread(cli, argv)


def pdf_text(data: bytes) -> str:
    """Page 1's text by pypdf. pypdf reads fpdf2's two-byte glyph codes with a NUL before each
    character (its ToUnicode maps code 0 to U+0000; pdftotext reads the same file cleanly), so
    NULs are dropped."""
    return PdfReader(io.BytesIO(data)).pages[0].extract_text().replace("\x00", "")

SERIAL = re.compile(r"证书编号：([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})")


def _forged(serial: str) -> str:
    """The same serial with one character changed."""
    head = serial[0]
    return ("B" if head != "B" else "C") + serial[1:]


async def _pass(app, tmp_path):
    admin, alice = Chat(app, "admin"), Chat(app, "alice")
    alice.channel.downloads = tmp_path / "downloads"
    await alice.say("/bind SL0001 示例甲")
    await admin.say(f"/exam_open {EXAM} 7")
    await _practice(app, alice, 5)
    await _sit(app, alice, right=True)
    return admin, alice


async def test_pass_issues_a_pdf_cert_lists_resends_and_revocation(org_app, imported, tmp_path):
    app = org_app
    admin, alice = await _pass(app, tmp_path)
    assert "✅ 通过" in alice.text
    assert "已为您签发合格证书" in alice.text
    serial = SERIAL.search(alice.text).group(1)
    pdf_reply = next(r for r in alice.last if r.attachment is not None)
    assert pdf_reply.attachment.filename == f"certificate-{serial}.pdf"
    saved = tmp_path / "downloads" / f"certificate-{serial}.pdf"
    assert f"已保存：{saved}" in "\n".join(alice.lines[-3:]) or str(saved) in "\n".join(alice.lines[-3:])
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-") and data == pdf_reply.attachment.data

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = pdf_text(data)
    for fact in ("合格证书", "示例甲", "示例市司法局办公室", "2026年度学法考法正式考试（示例）", "100 分", "2026-01-17",
                 serial, f"{PUBLIC}/verify/{serial}", "扫码核验"):
        assert fact in text, fact
    images = reader.pages[0].images
    assert len(images) == 1 and images[0].image.size[0] >= 100  # the QR code
    assert f"核验地址：{PUBLIC}/verify/{serial}" in alice.text
    fonts = {str(f["/BaseFont"]) for f in _fonts(reader)}
    assert any("NotoSansSC" in f for f in fonts), fonts  # the CJK font is embedded (a subset)
    assert any("/FontFile" in k for f in _fonts(reader) for d in _descriptors(f) for k in d)

    # /cert lists it and sends it again
    await alice.say("/cert")
    assert "您的合格证书（1 张）" in alice.text and serial in alice.text
    await alice.press("获取证书 1")
    assert alice.last[0].attachment is not None and alice.last[0].attachment.data.startswith(b"%PDF-")
    assert serial in alice.text

    # /cert issued nothing more: one certificate per person and exam
    assert await sql_one(app.storage, "SELECT COUNT(*) FROM certificates") == (1,)

    # verification on the command line: valid, then forged
    assert await run_cli(["cert", "verify", serial.lower().replace("-", ""), "--data-dir", str(imported)]) == 0
    assert await run_cli(["cert", "verify", _forged(serial), "--data-dir", str(imported)]) == 1

    # only a super admin revokes; it is in the admin log
    await alice.say(f"/cert revoke {serial} 自己撤销")
    assert "只有超级管理员可以撤销证书" in alice.text
    await admin.say(f"/cert revoke {serial} 成绩复核不合格")
    assert f"已撤销证书 {serial}（示例甲" in admin.text
    await admin.say(f"/cert revoke {serial}")
    assert "已于" in admin.text and "撤销" in admin.text
    assert await sql_one(app.storage, "SELECT user_key, detail FROM admin_log WHERE action = 'cert_revoke'") \
        == ("cli:admin", f"{serial} 成绩复核不合格")
    assert await run_cli(["cert", "verify", serial, "--data-dir", str(imported)]) == 1
    await alice.say("/cert")
    assert "已撤销" in alice.text and "获取证书" not in " ".join(alice.labels())
    await alice.act("z:s:1")
    assert "已撤销，不能再次获取" in alice.text and alice.last[0].attachment is None


async def test_cli_verify_prints_status_and_masked_facts(org_app, imported, tmp_path, capsys):
    app = org_app
    _admin, alice = await _pass(app, tmp_path)
    serial = SERIAL.search(alice.text).group(1)
    capsys.readouterr()
    assert await run_cli(["cert", "verify", serial, "--data-dir", str(imported)]) == 0
    out = capsys.readouterr().out
    assert "核验结果：有效" in out and "姓名：示*甲" in out and "单位：示例市司法局办公室" in out
    assert "成绩：100 分" in out and "日期：2026-01-17" in out and "示例甲" not in out
    assert await run_cli(["cert", "verify", _forged(serial), "--data-dir", str(imported)]) == 1
    out = capsys.readouterr().out
    assert "核验结果：无效" in out and "示*甲" not in out
    assert await run_cli(["cert", "verify", "not-a-serial", "--data-dir", str(imported)]) == 1
    assert "无效" in capsys.readouterr().out
    assert await run_cli(["cert", "revoke", serial, "--reason", "测试", "--data-dir", str(imported)]) == 0
    assert f"已撤销证书 {serial}" in capsys.readouterr().out
    assert await run_cli(["cert", "verify", serial, "--data-dir", str(imported)]) == 1
    out = capsys.readouterr().out
    assert "核验结果：已撤销" in out and "该证书已于" in out and "示*甲" in out


async def test_altered_record_no_longer_verifies(org_app, imported, tmp_path, capsys):
    """The HMAC covers the facts: a score changed in the database makes the serial invalid."""
    app = org_app
    _admin, alice = await _pass(app, tmp_path)
    serial = SERIAL.search(alice.text).group(1)
    assert await sql_write(app.storage, "UPDATE certificates SET score = 99 WHERE serial = ?", (serial,)) == 1
    capsys.readouterr()
    assert await run_cli(["cert", "verify", serial, "--data-dir", str(imported)]) == 1
    assert "核验结果：无效" in capsys.readouterr().out


async def test_verify_page_valid_forged_revoked(org_app, imported, tmp_path):
    app = org_app
    admin, alice = await _pass(app, tmp_path)
    serial = SERIAL.search(alice.text).group(1)
    server = HttpServer("127.0.0.1", 0, 65536, 1.0, verify_routes(Certificates(app.service.deps)))
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/verify/{serial}") as resp:
                page = await resp.text()
                assert resp.status == 200 and "text/html" in resp.headers["Content-Type"]
            assert "有效" in page and "示*甲" in page and "示例甲" not in page and "SL0001" not in page
            assert "示例市司法局办公室" in page and "2026年度学法考法正式考试（示例）" in page and "100" in page
            async with http.get(f"http://127.0.0.1:{port}/verify/{_forged(serial)}") as resp:
                page = await resp.text()
                assert resp.status == 404 and "无效" in page and "示*甲" not in page
            async with http.get(f"http://127.0.0.1:{port}/verify/%3Cscript%3E") as resp:
                page = await resp.text()
                assert resp.status == 404 and "<script>" not in page
            await admin.say(f"/cert revoke {serial} 复核")
            async with http.get(f"http://127.0.0.1:{port}/verify/{serial}?lang=en") as resp:
                page = await resp.text()
                assert resp.status == 410 and "revoked" in page and "示*甲" in page
    finally:
        await server.stop()


async def test_pdf_page_renders_to_png(org_app, imported, tmp_path):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the rendering check needs it")
    app = org_app
    _admin, alice = await _pass(app, tmp_path)
    pdf = next(r for r in alice.last if r.attachment is not None).attachment.data
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(tmp_path / "c.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    from PIL import Image

    image = Image.open(tmp_path / "page.png")
    width, height = image.size
    assert width > height  # A4 landscape
    grey = image.convert("L")
    dark = grey.histogram()[:128]
    dark = sum(dark)
    assert dark > width * height * 0.005  # text, border and QR were drawn, not a blank page
    if os.environ.get("LAWBOT_KEEP_CERT_PNG"):  # to look at the layout: the PNG is copied there
        shutil.copy(tmp_path / "page.png", os.environ["LAWBOT_KEEP_CERT_PNG"])


def _fonts(reader):
    resources = reader.pages[0]["/Resources"]
    return [f.get_object() for f in resources["/Font"].values()]


def _descriptors(font):
    out = []
    for d in font.get("/DescendantFonts", []):
        descriptor = d.get_object().get("/FontDescriptor")
        if descriptor is not None:
            out.append(descriptor.get_object())
    return out


async def test_swept_pass_is_issued_and_a_missing_key_is_caught_up_by_cert(imported, tmp_path):
    """An official exam handed in by the deadline sweeper gets its certificate (the queued result
    says so); a pass while no usable key is set issues nothing and says why, and /cert issues it
    once a key is set."""
    from bot.runner import drain_outbox, sweep_exams
    from tests.app.test_exam import _attempt, _display_letters

    clock = ManualClock(JAN_17)

    async def open_app(**certificates):
        config = config_for(imported, admin={"super_admins": ["cli:admin"]}, certificates=certificates)
        return await build(config, clock=clock, rng=random.Random(3), database=imported / "lawbot.sqlite3",
                           catalog=own_catalog(load_checked_catalog(REPO)))

    app = await open_app(secret="too-short")
    try:
        admin, alice, bob = Chat(app, "admin"), Chat(app, "alice"), Chat(app, "bob")
        await alice.say("/bind SL0001 示例甲")
        await admin.say(f"/exam_open {EXAM} 7")
        await _practice(app, alice, 5)
        await _sit(app, alice, right=True)
        assert "✅ 通过" in alice.text and "合格证书暂时无法签发" in alice.text
        assert await sql_one(app.storage, "SELECT COUNT(*) FROM certificates") == (0,)
        await alice.say("/cert")
        assert "合格证书暂时无法签发" in alice.text
    finally:
        await app.close()

    app = await open_app(secret="a-proper-secret-of-enough-length")
    try:
        alice, bob = Chat(app, "alice"), Chat(app, "bob")
        await alice.say("/cert")
        assert "您的合格证书（1 张）" in alice.text and "2026-01-17" in alice.text

        await bob.say("/bind SL0002 示例乙")
        assert "绑定成功" in bob.text
        await _practice(app, bob, 5)
        await bob.say("/exam")
        await bob.press("【正式】")
        await bob.press("开始考试")
        attempt = await _attempt(app, bob)
        for pos in range(len(attempt.paper)):
            await bob.say(_display_letters(app, attempt, pos, right=True))
        clock.advance(attempt.deadline - clock.now() + 1)
        assert await sweep_exams(app) == 1
        delivered = []

        class Sender:
            async def send(self, user, payload):
                delivered.append((user, payload["text"]))
                return True

        assert await drain_outbox(app, "cli", Sender()) == 1
        assert "✅ 通过" in delivered[0][1] and "已签发合格证书" in delivered[0][1]
        serial = re.search(r"编号 ([A-Z2-7-]{19})", delivered[0][1]).group(1)
        await bob.say("/cert")
        assert serial in bob.text
        await bob.press("获取证书 1")
        assert bob.last[0].attachment is not None
        assert "示例乙" in pdf_text(bob.last[0].attachment.data)
    finally:
        await app.close()


async def test_lawbot_run_serves_the_verify_page_when_public_url_is_set(tmp_path):
    """`lawbot run` adds /verify to its HTTP server when http.public_url is set, beside the
    channels' routes."""
    from tests.channels.wechat.harness import sections
    from tests.test_serving import Served

    config = config_for(tmp_path, http={"public_url": PUBLIC, "port": 8080}, **sections("plain"))
    async with (Served(config) as running, aiohttp.ClientSession() as session,
                session.get(f"{running.server.url}/verify/ABCD-EFGH-JKLM-NPQR") as response):
        assert response.status == 404 and "无效" in await response.text()
    config = config_for(tmp_path, **sections("plain"))
    async with (Served(config) as running, aiohttp.ClientSession() as session,
                session.get(f"{running.server.url}/verify/ABCD-EFGH-JKLM-NPQR") as response):
        assert response.status == 404 and "无效" not in await response.text()  # no such route
