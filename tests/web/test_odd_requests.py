"""What an admin (or someone editing URLs by hand) can send the console besides what its pages
send, over plain HTTP on a real server (no browser): odd numbers in addresses and forms,
methods a page does not take, missing static files, an oversized login, damaged or empty roster
files and a double-clicked roster import. Each gets one line in Chinese on the console's page,
never aiohttp's English text or the 500 page, and nothing is stored twice."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from openpyxl import Workbook

from bot.domain.units import RosterEntry, Unit
from bot.httpserver import HttpServer
from bot.services import accounts, audit
from bot.services import exams as exam_service
from bot.services.rights import actor_for
from bot.web.app import install
from tests.support.transcript import make_app

SUPER, UNIT_ADMIN = "cli:root", "tg:9001"
UNITS = [Unit("city", "市"), Unit("ua", "甲局", "city"), Unit("ub", "乙局", "city"), Unit("ua1", "甲局一科", "ua")]
EXAM = "xuefa2026-shili"  # the shipped official exam


@pytest.fixture
async def served(tmp_path, clock):
    app = await make_app(tmp_path, clock, admin={"super_admins": [SUPER]})
    store = app.storage
    await store.roster.upsert_units(UNITS)
    await store.admins.set_admin(UNIT_ADMIN, "ua", SUPER, clock.now())
    await store.roster.upsert_roster([RosterEntry("A1", "张三", "ua", "公务员"), RosterEntry("B1", "李四", "ub", "公务员")],
                                     clock.now())
    server = HttpServer("127.0.0.1", 0, app.config.http.max_body_bytes, 5, [])  # as lawbot run has it
    install(server.web_app, app.service.deps)
    port = await server.start()
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield app.service.deps, session
    await server.stop()
    await app.close()


async def _log_in(deps, session, user: str = SUPER) -> str:
    """Log `session` in as `user`; returns the CSRF token its forms carry."""
    link = await accounts.issue_link(deps, user)
    async with session.post("/admin/login", data={"token": link.url.split("token=", 1)[1]},
                            allow_redirects=False) as response:
        assert response.status == 303
        return accounts.csrf_for(response.cookies["lawbot_console"].value)


def _message(body: str) -> str:
    """The page's heading and its one-line message."""
    heading = re.search(r"<h1>(.*?)</h1>", body, re.S)
    line = re.search(r'<p class="(?:error|ok)"[^>]*>(.*?)</p>', body, re.S)
    return " | ".join(m.group(1).strip() for m in (heading, line) if m)


async def _send(session, method: str, path: str, data=None) -> tuple[int, str, aiohttp.ClientResponse]:
    async with session.request(method, path, data=data, allow_redirects=False) as response:
        return response.status, await response.text(errors="replace"), response


async def test_odd_numbers_in_addresses_and_forms_get_a_chinese_line_not_the_500_page(served):
    deps, session = served
    csrf = await _log_in(deps, session)
    huge = "9" * 23  # above any database integer
    cases = [  # (method, path, form, status, words on the page)
        ("GET", "/admin/audit?n=²", None, 200, "操作日志"),  # "²".isdigit() is True, int("²") fails
        ("GET", "/admin/gaps?days=²", None, 200, "咨询缺口"),
        ("GET", f"/admin/notices/{huge}", None, 404, f"没有编号为 #{huge[:12]} 的广播"),
        ("GET", "/admin/notices/²", None, 404, "没有编号为 #² 的广播"),
        ("POST", f"/admin/notices/{huge}/cancel", {"csrf": csrf}, 400, "的广播"),
        ("POST", "/admin/roster/import", {"csrf": csrf, "upload": "²"}, 400, "这份名册已过期或已导入"),
        ("POST", "/admin/bank/import/apply", {"csrf": csrf, "upload": "²"}, 400, "这份文件已过期或已处理"),
        ("POST", f"/admin/exams/{EXAM}/window", {"csrf": csrf, "kind": "extend", "days": "²"}, 409, "天数须为"),
        ("POST", f"/admin/exams/{EXAM}/window", {"csrf": csrf, "kind": "extend", "days": huge}, 409, "天数须为"),
        ("GET", f"/admin/flags?exam={EXAM}&unit=nope", None, 404, "没有编号为 nope 的单位"),  # was 范围：nope, 0 条
        ("GET", "/admin/bank/export?fmt=pdf", None, 400, "只能导出为 Excel（xlsx）或 CSV。"),  # was 用法：/bank export …
        ("POST", "/admin/exams/kemu1/window", {"csrf": csrf, "kind": "open", "days": "3"}, 404,  # a mock exam
         "没有编号为 kemu1 的正式考试"),  # was 409 and the chat's 用法：/exam_open 考试编号 [天数]；…
    ]
    for method, path, form, status, words in cases:
        got, body, _response = await _send(session, method, path, form)
        assert (got, words in body, "出错了" in body) == (status, True, False), (method, path, got, _message(body))


async def test_http_errors_are_the_consoles_chinese_pages(served):
    deps, session = served
    await _log_in(deps, session)
    status, body, response = await _send(session, "PUT", "/admin/roster")
    assert status == 405 and "GET" in response.headers["Allow"]
    assert _message(body) == "不支持的请求方式 | 这个地址不能用 PUT 方式打开，请从页面上的链接或按钮操作。"
    status, body, _response = await _send(session, "GET", "/admin/logout")  # a POST-only address
    assert status == 405 and "不能用 GET 方式打开" in body
    status, body, _response = await _send(session, "GET", "/admin/rank?period=decade&metric=%3Cb%3E")
    assert (status, _message(body)) == (400, "请求无效 | 请求无效，请从页面上的链接或按钮重新操作。")  # was "bad query"
    for path in ("/admin/static/nope.css", "/admin/static/"):
        status, body, response = await _send(session, "GET", path)
        assert (status, response.content_type) == (404, "text/html"), path
        assert _message(body) == "页面不存在 | 没有这个页面。"
    anonymous = aiohttp.ClientSession(str(session._base_url))
    async with anonymous:
        status, body, _response = await _send(anonymous, "POST", "/admin/login", {"token": "x" * 100_000})
        assert status == 413 and _message(body) == "内容太大 | 提交的内容太大，已拒绝。"


def _xlsx(rows: list[list[str]]) -> bytes:
    from io import BytesIO

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


async def _upload(session, csrf: str, name: str, data: bytes) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    status, body, _response = await _send(session, "POST", "/admin/roster/upload", form)
    return status, body


async def test_a_damaged_or_empty_roster_file_is_refused_in_one_line_and_nothing_is_kept(served):
    deps, session = served
    csrf = await _log_in(deps, session, UNIT_ADMIN)
    people = await deps.storage.roster.roster_count()
    cases = [("damaged.xlsx", b"PK\x03\x04 not really a workbook", "无法读取文件“damaged.xlsx”：不是 .xlsx 文件"),
             ("text.xlsx", "工号,姓名,单位\nC1,王五,ua1\n".encode(), "无法读取文件“text.xlsx”"),
             ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "这是设了打开密码的工作簿或旧版 .xls"),
             ("header.csv", "工号,姓名,单位\n".encode(), "文件“header.csv”中没有人员"),
             ("header.xlsx", _xlsx([["工号", "姓名", "单位"]]), "文件“header.xlsx”中没有人员"),
             ("map.yaml", b"a: 1\n", "文件“map.yaml”中没有人员")]
    for name, data, words in cases:
        status, body = await _upload(session, csrf, name, data)
        assert (status, words in _message(body)) == (400, True), (name, status, _message(body))
        assert 'name="upload"' not in body  # no import button: nothing was kept to import
    assert await deps.storage.roster.roster_count() == people


async def test_a_double_clicked_roster_import_imports_once(served):
    deps, session = served
    csrf = await _log_in(deps, session, UNIT_ADMIN)
    status, body = await _upload(session, csrf, "r.csv", "工号,姓名,单位\nC1,王五,ua1\nC2,赵六,ua1\n".encode())
    assert status == 200
    upload = re.search(r'name="upload" value="(\d+)"', body).group(1)
    answers = await asyncio.gather(*[_send(session, "POST", "/admin/roster/import", {"csrf": csrf, "upload": upload})
                                     for _ in range(3)])
    lines = sorted((status, _message(body).split(" | ")[-1][:40]) for status, body, _response in answers)
    assert [status for status, _line in lines] == [200, 400, 400], lines
    assert all("已过期或已导入" in line for _status, line in lines[1:]), lines
    super_actor = await actor_for(deps, SUPER)
    imports = [e for e in (await audit.entries(deps, super_actor, offset=0, limit=50)).entries
               if e.action == "roster.import"]
    assert [e.after["added"] for e in imports] == [2]  # one import in the 操作日志, two people added


async def test_an_admin_whose_role_is_taken_away_is_logged_out_and_a_new_role_needs_a_new_link(served, clock):
    deps, session = served
    await _log_in(deps, session, UNIT_ADMIN)
    assert (await _send(session, "GET", "/admin/roster"))[0] == 200
    await deps.storage.admins.remove_admin(UNIT_ADMIN)  # in chat, by a super admin
    status, body, _response = await _send(session, "GET", "/admin/roster")
    assert (status, _message(body)) == (403, "无权访问 | 此功能仅限管理员使用。")
    await deps.storage.admins.set_admin(UNIT_ADMIN, "ua", SUPER, clock.now())  # made an admin again
    status, _body, response = await _send(session, "GET", "/admin/roster")
    assert (status, response.headers.get("Location")) == (303, "/admin/login")  # the old session did not come back


async def test_a_download_named_in_chinese_has_an_ascii_header_and_the_chinese_name_for_browsers(served):
    deps, session = served
    await deps.storage.roster.upsert_units([Unit("法制科", "法制科", "ua")])  # unit ids may be Chinese (\w)
    await _log_in(deps, session, UNIT_ADMIN)
    status, _body, response = await _send(session, "GET", f"/admin/overview/export?exam={EXAM}&unit=法制科")
    assert status == 200
    raw = dict(response.raw_headers)[b"Content-Disposition"]
    assert raw.isascii(), raw  # was filename="stats-…-法制科.xlsx" in raw UTF-8 bytes
    assert raw.decode() == ("attachment; filename=\"stats-xuefa2026-shili-___.xlsx\"; "
                            "filename*=UTF-8''stats-xuefa2026-shili-%E6%B3%95%E5%88%B6%E7%A7%91.xlsx")
    status, _body, response = await _send(session, "GET", f"/admin/overview/export?exam={EXAM}&unit=ub")
    assert status == 403  # another unit's workbook


async def test_an_exam_form_the_content_check_refuses_says_why_in_chinese(served):
    deps, session = served
    csrf = await _log_in(deps, session)
    form = {"csrf": csrf, "title_zh": "测试考试", "time_limit": "30", "pass_mark": "60", "attempts": "1",
            "opens": "2027-01-01T00:00", "closes": "2027-02-01T00:00", "units": "ua",
            "bp_type_0": "judge", "bp_count_0": "5", "bp_points_0": "20"}
    fills = {"bp_type_0": "fill", "bp_count_0": "2", "bp_points_0": "10", "bp_partial_0": "1",
             "bp_type_1": "fill", "bp_count_1": "2", "bp_points_1": "10"}
    for n, (changes, words) in enumerate([({"pass_mark": "100.5"}, "及格分 100.5 超过了试卷总分 100。"),
                                          (fills, "各行填空题的“按空给分”须一致")]):
        status, body, _response = await _send(session, "POST", "/admin/exams/new", {**form, **changes, "id": f"cc{n}"})
        errors = re.search(r'id="exam-errors">(.*?)</div>', body, re.S).group(1)
        assert (status, words in errors, re.search(r"[a-z]{4,}", re.sub(r"<[^>]+>", "", errors))) == (400, True, None), \
            errors  # was 内容检查未通过：pass_mark 100.5 exceeds the paper's 100 points
        assert f"cc{n}" not in deps.catalog.exams


async def test_a_nul_character_is_refused_in_addresses_and_dropped_from_forms_and_files(served):
    """PostgreSQL refuses NUL in text: on it these were 500s (search, filters, 咨询缺口, a roster import)."""
    deps, session = served
    csrf = await _log_in(deps, session)
    for path in ("/admin/roster?q=%E5%BC%A0%00", "/admin/audit?action=%00", f"/admin/overview?exam={EXAM}&unit=ua%00"):
        status, body, _response = await _send(session, "GET", path)
        assert (status, _message(body)) == (400, "请求无效 | 请求无效，请从页面上的链接或按钮重新操作。"), path
    status, body, _response = await _send(session, "POST", "/admin/exams/x%00/edit", {"csrf": csrf, "title_zh": "t"})
    assert (status, _message(body)) == (404, "页面不存在 | 没有这个页面。")  # an exam id with NUL reached SQL
    status, _body, _response = await _send(session, "POST", "/admin/gaps/mark", {"csrf": csrf, "query": "办\x00证"})
    assert status == 303
    actor = await actor_for(deps, SUPER)
    marks = [e.target for e in (await audit.entries(deps, actor, offset=0, limit=20)).entries if e.action.startswith("gap")]
    assert marks and all("\x00" not in target for target in marks), marks
    status, body = await _upload(session, csrf, "nul.csv", "工号,姓名,单位,身份\nN1,王\x00五,ua1,公\x00务员\n".encode())
    upload = re.search(r'name="upload" value="(\d+)"', body).group(1)
    status, body, _response = await _send(session, "POST", "/admin/roster/import", {"csrf": csrf, "upload": upload})
    assert status == 200, _message(body)
    entry = await deps.storage.roster.roster_by_staff_no("N1")
    assert (entry.name, entry.role) == ("王五", "公务员")
    raw = (f'--b1\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
           '--b1\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.csv"\r\n'  # a NUL in a part's header
           'Content-Type: text/csv\r\n\r\nx\r\n--b1--\r\n').encode()
    async with session.post("/admin/roster/upload", data=raw, allow_redirects=False,
                            headers={"Content-Type": "multipart/form-data; boundary=b1"}) as response:
        status, body = response.status, await response.text()
    assert (status, _message(body)) == (400, "请求无效 | 请求无效，请从页面上的链接或按钮重新操作。")  # was the 500 page


async def test_the_language_switch_of_a_page_a_post_rendered_opens_a_page(served):
    """The roster preview, a refused form, a broadcast preview: their 中文/English link pointed at the
    POST-only address (a 405 page)."""
    deps, session = served
    csrf = await _log_in(deps, session)
    a1 = await deps.storage.roster.roster_by_staff_no("A1")
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", "工号,姓名,单位\nC1,王五,ua1\n".encode(), filename="r.csv", content_type="text/csv")
    posts = [("/admin/roster/upload", form, "/admin/roster?lang=en"),
             ("/admin/gaps/mark", {"csrf": csrf, "query": ""}, "/admin/gaps?lang=en"),
             (f"/admin/roster/person/{a1.id}/code", {"csrf": csrf}, f"/admin/roster/person/{a1.id}?lang=en"),
             ("/admin/exams/new", {"csrf": csrf, "id": "x"}, "/admin/exams/new?lang=en")]
    for path, data, switch in posts:
        await _send(session, "GET", "/admin/?lang=zh")  # the page in Chinese: its switch leads to English
        _status, body, _response = await _send(session, "POST", path, data)
        link = re.search(r'<a class="lang" href="([^"]+)"', body).group(1).replace("&amp;", "&")
        assert link == switch, (path, link)
        status, body, _response = await _send(session, "GET", link)
        assert status == 200 and '<html lang="en">' in body, (link, status)
    status, body, _response = await _send(session, "GET", "/admin/roster?q=%E5%BC%A0&lang=zh")  # a GET keeps its query
    assert re.search(r'<a class="lang" href="([^"]+)"', body).group(1) == "/admin/roster?q=%E5%BC%A0&amp;lang=en"


async def test_the_other_person_of_an_identical_pair_in_another_unit_is_not_named_to_a_unit_admin(served):
    """公平性提示: 张三 (甲局, the unit admin's) has the same answers as 李四 (乙局): the admin of 甲局
    sees the flag and that the other person is in 乙局, never 李四's name or 工号; a super admin does."""
    from bot.services import flags
    from bot.storage.ports import FlagRecord

    deps, session = served
    a1, b1 = [await deps.storage.roster.roster_by_staff_no(s) for s in ("A1", "B1")]
    await deps.storage.fairness.add_flag(FlagRecord(None, f"{EXAM}:pair", "identical", EXAM, "regular", "ua", a1.id,
                                                    None, b1.id, None, {"common": 12, "same_wrong": 5, "chance": 3e-7},
                                                    deps.clock.now()))
    await _log_in(deps, session, UNIT_ADMIN)
    status, body, _response = await _send(session, "GET", f"/admin/flags?exam={EXAM}")
    assert status == 200 and "张三" in body and "乙局的一名人员（不在您的管理范围内）" in body
    assert "李四" not in body and "B1" not in body  # was 李四（B1·乙局）
    [view] = await flags.list_flags(deps, await actor_for(deps, UNIT_ADMIN), EXAM)  # chat /stats and /export too
    assert (view.other.name, view.other.staff_no, view.other.outside) == ("", "", True)
    [view] = await flags.list_flags(deps, await actor_for(deps, SUPER), EXAM)
    assert (view.other.name, view.other.staff_no) == ("李四", "B1")


async def test_retiring_a_question_twice_at_once_retires_and_publishes_once(served):
    deps, session = served
    csrf = await _log_in(deps, session)
    qid = next(q.id for q in deps.catalog.question_list if not q.parent)
    version = await deps.storage.bank_versions.latest_version()
    answers = await asyncio.gather(*[_send(session, "POST", f"/admin/bank/q/{qid}/retire", {"csrf": csrf, "reason": "重复"})
                                     for _ in range(3)])
    assert [status for status, _body, _response in answers] == [303, 303, 303]
    actor = await actor_for(deps, SUPER)
    retired = [e for e in (await audit.entries(deps, actor, offset=0, limit=50)).entries if e.action == "bank.retire"]
    assert len(retired) == 1  # was 3 entries and 3 bank versions (each one reloaded by every worker)
    assert await deps.storage.bank_versions.latest_version() == version + 1


async def test_a_window_button_sent_twice_moves_the_window_once(served):
    """延长 7 天 pressed twice (a resent request, or two admins at once): the exam closed 14 days later."""
    deps, session = served
    csrf = await _log_in(deps, session)
    _status, page, _response = await _send(session, "GET", "/admin/exams")
    form = re.search(rf'action="/admin/exams/{EXAM}/window".*?name="base" value="([^"]+)"', page, re.S)
    post = {"csrf": csrf, "kind": "extend", "days": "7", "base": form.group(1) if form else ""}
    before = deps.catalog.exams[EXAM].official.closes
    actor = await actor_for(deps, SUPER)
    first, body, _response = await _send(session, "POST", f"/admin/exams/{EXAM}/window", post)
    assert first == 303, _message(body)
    second, body, _response = await _send(session, "POST", f"/admin/exams/{EXAM}/window", post)
    assert (second, "这场考试的时间刚刚已被修改" in body) == (409, True)
    spec = (await exam_service.get_exam(deps, actor, EXAM, deps.clock.now())).spec
    assert spec.closes == before + 7 * 86400


async def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], str]:
    """Send bytes as they are (aiohttp's client would refuse to) and read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body.decode()


async def test_a_request_the_http_parser_refuses_gets_a_chinese_line_not_aiohttps_english(tmp_path, clock):
    """An address over 8 KB, a header over 8 KB, too many headers, not HTTP at all: aiohttp's parser
    refuses them before any route or middleware, and answered 400 in English, echoing the line back
    ('Got more than 8190 bytes when reading: …')."""
    app = await make_app(tmp_path, clock, admin={"super_admins": [SUPER]})
    server = HttpServer("127.0.0.1", 0, app.config.http.max_body_bytes, 5, [])
    install(server.web_app, app.service.deps)
    port = await server.start()
    try:
        too_long = "地址或请求头太长，请从页面上的链接或按钮重新操作。"
        cases = [(b"GET /admin/roster?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", too_long),
                 (b"GET /admin/ HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * 9000 + b"\r\n\r\n", too_long),
                 (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
                  "请求无效，请从页面上的链接或按钮重新操作。"),
                 (b"\x16\x03\x01 hello\r\n\r\n", "请求无效，请从页面上的链接或按钮重新操作。")]  # TLS on the HTTP port
        for request, line in cases:
            status, headers, body = await _raw(port, request)
            assert status == 400 and headers["Content-Type"] == "text/html; charset=utf-8", (request[:30], headers)
            assert re.search(r"<title>(.*?)</title>.*<p>(.*?)</p>", body).groups() == ("请求无效", line), body
            assert "Got more" not in body and "aaaa" not in body and headers["X-Content-Type-Options"] == "nosniff"
        status, _headers, body = await _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status == 200 and '"status": "ok"' in body  # the server still answers
    finally:
        await server.stop()
        await app.close()


async def test_an_unknown_unit_is_404_on_every_page_and_a_unit_outside_the_scope_403(served):
    """?unit= on 总览, its people list, 公平性提示, 人员名册, 操作日志 and 排行榜: a unit the tree lacks
    is 404 (没有编号为 … 的单位) for any admin, as 总览 had it; 人员名册 and 操作日志 said 403, 排行榜
    gave the bare 页面不存在. A unit that exists outside a unit admin's scope is 403."""
    deps, session = served
    pages = [f"/admin/overview?exam={EXAM}&unit=", f"/admin/overview/people?exam={EXAM}&unit=",
             f"/admin/flags?exam={EXAM}&unit=", "/admin/roster?unit=", "/admin/audit?unit=", "/admin/rank?unit="]
    for user in (SUPER, UNIT_ADMIN):
        await _log_in(deps, session, user)
        for page in pages:
            status, body, _response = await _send(session, "GET", page + "nowhere")
            assert (status, _message(body)) == (404, "页面不存在 | 没有编号为 nowhere 的单位。"), (user, page, status)
    for page in pages:  # UNIT_ADMIN (甲局) asks for 乙局
        status, body, _response = await _send(session, "GET", page + "ub")
        assert status == 403 and "乙局" not in _message(body), (page, status, _message(body))
        status, _body, _response = await _send(session, "GET", page + "ua1")  # their own subunit
        assert status == 200, (page, status)
