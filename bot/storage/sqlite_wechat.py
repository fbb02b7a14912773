"""SQLite: the numbered menus of text-only channels (WeChat, WeCom). Mixin for SqliteStorage;
uses its `_write/_one` helpers."""

from __future__ import annotations

import json


class SqliteNumberedMenus:
    async def get_menu(self, user: str) -> list[str]:
        row = await self._one("SELECT actions FROM numbered_menus WHERE user_key = ?", (user,))
        if not row:
            return []
        try:
            actions = json.loads(row[0])
        except ValueError:
            return []
        return [a for a in actions if isinstance(a, str)] if isinstance(actions, list) else []

    async def set_menu(self, user: str, actions: list[str], now: float) -> None:
        await self._write("INSERT INTO numbered_menus(user_key, actions, updated_at) VALUES (?, ?, ?) "
                          "ON CONFLICT(user_key) DO UPDATE SET actions = excluded.actions, "
                          "updated_at = excluded.updated_at",
                          (user, json.dumps(actions, ensure_ascii=False, separators=(",", ":")), now))
