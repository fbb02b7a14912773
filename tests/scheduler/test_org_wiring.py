"""The scheduler on issue 4's organisation: official exam reminders reach registered target
people who have not passed; a unit admin's broadcast reaches only their unit; the digest goes to
super and unit admins with their unit's rates and a chart button; the nightly snapshot runs."""

from __future__ import annotations

import json

from bot.app.messages import Incoming
from bot.channels.console.adapter import ConsoleSender
from bot.runner import drain_once
from bot.scheduler.wiring import build_scheduler
from tests.app.test_official_exam import EXAM, JAN_17, imported, org_app  # noqa: F401 - fixtures
from tests.support.sql import sql_all
from tests.support.transcript import Chat


async def _outbox(app, kind):
    rows = await sql_all(app.storage, "SELECT o.user_key, o.payload FROM outbox o JOIN campaigns c ON c.id = o.campaign_id "
                                  "WHERE c.kind = ? ORDER BY o.id", (kind,))
    return [(u, json.loads(p)) for u, p in rows]


async def test_official_reminders_unit_broadcast_digest_and_snapshot(org_app):
    app = org_app
    admin, alice, bob, carol = Chat(app, "admin"), Chat(app, "alice"), Chat(app, "bob"), Chat(app, "carol")
    await alice.say("/bind SL0001 示例甲")  # 示例市司法局办公室
    await bob.say("/bind SL0005")  # needs a code: stays unregistered
    await carol.say("/start")  # a resident: not on the roster
    await admin.say(f"/exam_open {EXAM} 7")
    assert "已开考" in admin.text
    await admin.say("/admin add cli:ua shili-sfj")
    table = build_scheduler(app).table
    app.clock.t = JAN_17 + 3600  # 09:00 in Shanghai, a Saturday
    done = await table.run_due()
    assert done["exam_reminders"].startswith(f"exam:{EXAM}:open")
    reminders = await _outbox(app, "exam_reminder")
    assert [u for u, _ in reminders] == ["cli:alice"]  # registered, targeted, not passed
    assert "已开放" in reminders[0][1]["text"]
    # a unit admin's broadcast reaches their unit's registered people only
    unit_admin = Chat(app, "ua")
    await unit_admin.say("/broadcast 司法局本周学法安排")
    assert "发送对象：单位 shili-sfj 及其下级单位的已绑定人员，共 1 人" in unit_admin.text
    await unit_admin.press("确认发送")
    assert [u for u, _ in await _outbox(app, "broadcast")] == ["cli:alice"]
    assert await drain_once(app, {"cli": ConsoleSender(alice.channel)}) == 2
    assert "司法局本周学法安排" in "\n".join(alice.lines)
    # the weekly digest (Monday 09:00) and the nightly snapshot (01:30)
    app.clock.t = JAN_17 + 2 * 86400 + 3600
    done = await table.run_due()
    assert done["rates_snapshot"].startswith("snapshot") and done["weekly_digest"] == "digest to 2"
    digests = dict(await _outbox(app, "digest"))
    assert set(digests) == {"cli:admin", "cli:ua"}
    assert "应考" in digests["cli:ua"]["text"] and "示例市司法局" in digests["cli:ua"]["text"]
    chart = digests["cli:ua"]["choices"][0][0][1]
    assert chart == "a:c:0:shili-sfj"
    replies = await app.service.handle(Incoming(user="cli:ua", action=chart))
    assert replies[0].attachment is not None and replies[0].attachment.data.startswith(b"\x89PNG")
    assert await app.storage.stats.snapshots(EXAM, "shili")
