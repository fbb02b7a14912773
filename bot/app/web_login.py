"""/web in chat: an admin gets a one-time login link to the admin console (bot/services/accounts.py).
Private chats only (a link in a group could be opened by anyone in it); non-admins get the plain
refusal."""

from __future__ import annotations

from bot.app.context import Turn, idle_menu
from bot.app.messages import Reply
from bot.deps import Deps
from bot.services import accounts
from bot.services.rights import Forbidden


async def web_command(deps: Deps, turn: Turn) -> list[Reply]:
    if not turn.private:
        return [Reply(turn.t("web_private_only"), idle_menu(turn))]
    try:
        link = await accounts.issue_link(deps, turn.user)
    except Forbidden as exc:
        return [Reply(turn.t(exc.key, **exc.values), idle_menu(turn))]
    return [Reply(turn.t("web_link_sent", url=link.url, minutes=deps.config.web.link_ttl_minutes), idle_menu(turn))]
