"""A fake WeChat / WeCom message API on 127.0.0.1: token endpoints and text messages, recorded."""

from __future__ import annotations

import json

from aiohttp import web


class FakeWeChatApi:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []  # (to user, text)
        self.token_requests = 0
        self.fail_with: list[tuple[int, str]] = []  # errors for the next sends, in order
        app = web.Application()
        app.add_routes([web.get("/cgi-bin/token", self._token), web.get("/cgi-bin/gettoken", self._token),
                        web.post("/cgi-bin/message/custom/send", self._send),  # OA customer service
                        web.post("/cgi-bin/message/send", self._send)])  # WeCom app message
        self._runner = web.AppRunner(app, access_log=None)
        self.base_url = ""

    async def start(self) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/cgi-bin/"
        return self.base_url

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        return web.json_response({"access_token": "fake-token", "expires_in": 7200})

    def _check(self, request: web.Request) -> web.Response | None:
        if request.query.get("access_token") != "fake-token":
            return web.json_response({"errcode": 40014, "errmsg": "invalid access_token"})
        if self.fail_with:
            code, message = self.fail_with.pop(0)
            return web.json_response({"errcode": code, "errmsg": message})
        return None

    async def _send(self, request: web.Request) -> web.Response:
        error = self._check(request)
        if error is not None:
            return error
        data = json.loads(await request.read())
        self.sent.append((data["touser"], data["text"]["content"]))
        return web.json_response({"errcode": 0, "errmsg": "ok"})
