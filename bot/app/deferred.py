"""Work a turn hands over to after its transaction: a reply whose `later` is set is replaced by
what `later()` returns once the turn's transaction has committed (ChatService.handle). So an
export, a chart or a certificate PDF never holds the turn's transaction (on SQLite the one
write lock every user's turn needs) while it is built, and its CPU work runs off the event loop
(bot/reports/offloop.py).

`OffLoopAdmin` wraps the chat's admin flow: /stats, /export and the statistics buttons (a:…)
run after the transaction on the report loop, with its own read connection, where reading a
city's roster and building the workbook cannot stall other users' turns. Every other admin
command runs in the turn as before. The rights check is the admin flow's own, on the server."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.app.messages import Reply
from bot.reports.process import ReportFailed
from bot.texts import tr

if TYPE_CHECKING:
    from bot.app.admin import AdminFlow
    from bot.app.context import Turn
    from bot.deps import Deps

log = logging.getLogger(__name__)

OFF_LOOP_COMMANDS = frozenset({"stats", "export"})


async def resolve(replies: list[Reply], locale: str) -> list[Reply]:
    """Replace each reply that has `later` by what it returns (in order); a failure becomes the
    plain error reply (a report process that died: report_failed), never a traceback."""
    out: list[Reply] = []
    for reply in replies:
        if reply.later is None:
            out.append(reply)
            continue
        try:
            out.extend(await reply.later())
        except ReportFailed:  # the report process died or timed out (logged there)
            out.append(Reply(tr(locale, "report_failed")))
        except Exception:
            log.exception("deferred work of a turn failed")
            out.append(Reply(tr(locale, "error")))
    return out


class OffLoopAdmin:
    """The admin flow, with its heavy statistics views moved after the turn onto the report loop."""

    def __init__(self, flow: AdminFlow, make_flow: Callable[[Deps], AdminFlow]) -> None:
        self.flow = flow  # bot.app.admin.AdminFlow on the main store
        self.make_flow = make_flow  # deps -> AdminFlow on those deps (the report store)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.flow, name)

    async def _there(self, call: Callable[[AdminFlow], Awaitable[list[Reply] | None]]) -> list[Reply] | None:
        from bot.reports import offloop

        return await offloop.on_report_loop(self.flow.deps, lambda deps: call(self.make_flow(deps)))

    async def command(self, turn: Turn, name: str, args: str) -> list[Reply]:
        if name not in OFF_LOOP_COMMANDS:
            return await self.flow.command(turn, name, args)

        async def later() -> list[Reply]:
            replies = await self._there(lambda flow: flow.command(turn, name, args))
            assert replies is not None  # AdminFlow.command always answers
            return replies

        return [Reply("", later=later)]

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        if len(parts) not in (3, 4) or not parts[2].isdigit():
            return None  # malformed: refused in the turn as before

        async def later() -> list[Reply]:
            replies = await self._there(lambda flow: flow.on_action(turn, parts))
            if replies is None:
                log.warning("refused action from %s: %r", turn.user, ":".join(parts))
                from bot.app.context import idle_menu

                return [Reply(turn.t("bad_action"), idle_menu(turn))]
            return replies

        return [Reply("", later=later)]
