"""A console exam made through the service layer for browser tests: one 判断 paper of 5 questions,
20 minutes, pass mark 60, opening tomorrow (so its form can still be edited) for five days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import QType


def create_exam_opening_tomorrow(console, exam_id: str, title: str, unit: str) -> None:
    from bot.services import exams as svc
    from bot.services.rights import actor_for

    zone = ZoneInfo(console.config.timezone)
    tomorrow = datetime.fromtimestamp(console.clock.now() + 86400, zone).replace(tzinfo=None, second=0, microsecond=0)

    async def create():
        actor = await actor_for(console.deps, console.SUPER)
        form = svc.ExamForm(id=exam_id, title_zh=title, blueprint=(svc.BlueprintLine(QType.JUDGE, 5, 20.0),),
                            time_limit_minutes=20, pass_mark=60, opens=tomorrow, closes=tomorrow + timedelta(days=5),
                            units=(unit,))
        await svc.create_exam(console.deps, actor, form, console.clock.now())

    console.run(create())
