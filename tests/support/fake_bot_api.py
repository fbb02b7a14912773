"""A fake Telegram Bot API on 127.0.0.1 for tests and the benchmark.

A small HTTP/1.1 server (asyncio streams, keep-alive, no dependencies) that answers what the bot
uses — getMe, getUpdates (long poll, batches of up to 100), deleteWebhook, setMyCommands,
getMyCommands, sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
sendDocument, sendPhoto, getFile (and the file download path under base_file_url) — with well-formed Bot API JSON, so python-telegram-bot's real request
path (HTTPXRequest) parses it. It records every call, assigns message ids, keeps each chat's
messages (with how often each was edited) and enforces the limits that matter (4096 characters
of text, 64 bytes of callback data, "message is not modified").

    api = FakeBotApi()
    await api.start()                      # on the running loop; api.base_url for the bot
    api.push(api.text_update(42, "/start"))
    call = await api.wait_call("sendMessage")
    await api.stop()

`on_call(api, call)` is invoked after each recorded call (the benchmark's simulated users react
to the bot there). `fail_next(method, code, description, retry_after=...)` makes the next call of
a method fail as Telegram would; `fail_always(method, code, description)` makes every call of it
fail (a self-hosted server without the method answers 500) until `recover(method)`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
_JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "entities", "caption_entities",
                "link_preview_options", "reply_parameters"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    text: str | None
    reply_markup: dict | None
    edits: int = 0
    kind: str = "text"  # text | document | photo
    caption: str | None = None
    file_name: str | None = None
    file_size: int = 0


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeBotApi:
    def __init__(self, token: str = TOKEN, *, record: bool = True,
                 on_call: Callable[[FakeBotApi, Call], None] | None = None):
        self.token = token
        self.record = record
        self.on_call = on_call
        self.calls: list[Call] = []
        self.counts: dict[str, int] = {}
        self.chats: dict[int, dict[int, StoredMessage]] = {}
        self.commands: dict[str, list[dict]] = {}
        self._updates: deque[dict] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._failures: dict[str, deque[ApiError]] = {}
        self._broken: dict[str, ApiError] = {}
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self._prefix = f"/bot{token}/".encode()
        self._file_prefix = f"/file/bot{token}/".encode()
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data) users sent
        self._file_ids = itertools.count(1)

    # --- lifecycle -------------------------------------------------------------------
    async def start(self, port: int = 0) -> FakeBotApi:
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- what tests push ---------------------------------------------------------------
    def push(self, update: dict) -> dict:
        """Queue an update for getUpdates; assigns update_id unless it has one."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._update_event.set()
        return update

    @staticmethod
    def _user(user_id: int, language_code: str | None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def text_update(self, user_id: int, text: str, language_code: str | None = "zh-hans") -> dict:
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
                   "from": self._user(user_id, language_code), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        return {"message": message}

    def document_update(self, user_id: int, file_name: str, data: bytes, caption: str | None = None,
                        language_code: str | None = "zh-hans", file_size: int | None = None) -> dict:
        """A user sends a file; getFile and the download path serve `data`. file_size: what
        Telegram declares (default len(data))."""
        number = next(self._file_ids)
        file_id = f"upload{number}"
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        self.files[file_id] = (f"documents/file_{number}.{suffix}", data)
        message = self.text_update(user_id, "", language_code)["message"]
        del message["text"]
        message["document"] = {"file_id": file_id, "file_unique_id": f"u{number}", "file_name": file_name,
                               "file_size": len(data) if file_size is None else file_size}
        if caption:
            message["caption"] = caption
        return {"message": message}

    def callback_update(self, user_id: int, data: str, message_id: int | None = None,
                        language_code: str | None = "zh-hans") -> dict:
        """A press on a button of message `message_id` (default: the chat's latest bot message)."""
        chat = self.chats.get(user_id, {})
        if message_id is None and chat:
            message_id = max(chat)
        stored = chat.get(message_id) if message_id is not None else None
        query: dict[str, Any] = {"id": str(next(self._query_ids)), "from": self._user(user_id, language_code),
                                 "chat_instance": f"ci{user_id}", "data": data}
        if stored is not None:
            query["message"] = self._message_json(stored)
        return {"callback_query": query}

    def fail_next(self, method: str, code: int, description: str, retry_after: int | None = None) -> None:
        self._failures.setdefault(method, deque()).append(ApiError(code, description, retry_after))

    def fail_always(self, method: str, code: int = 500, description: str = "Internal Server Error") -> None:
        self._broken[method] = ApiError(code, description)

    def recover(self, method: str) -> None:
        self._broken.pop(method, None)

    # --- what tests read -----------------------------------------------------------------
    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, chat_id: int) -> list[StoredMessage]:
        return [self.chats[chat_id][k] for k in sorted(self.chats.get(chat_id, {}))]

    def last_message(self, chat_id: int) -> StoredMessage:
        return self.messages(chat_id)[-1]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met in {timeout} s; last calls: "
                                   f"{[(c.method, c.params.get('text', c.params.get('data'))) for c in self.calls[-5:]]}")
            self._call_event.clear()
            try:
                await asyncio.wait_for(self._call_event.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_calls(self, method: str, count: int, timeout: float = 30.0) -> list[Call]:
        await self.wait_for(lambda: self.counts.get(method, 0) >= count, timeout)
        return self.calls_of(method)

    # --- HTTP ----------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                headers: dict[bytes, bytes] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    headers[name.strip().lower()] = value.strip()
                if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                    body = await self._read_chunked(reader)
                else:
                    length = int(headers.get(b"content-length", b"0"))
                    body = await reader.readexactly(length) if length else b""
                parts = request_line.split(b" ")
                target = parts[1] if len(parts) > 1 else b"/"
                if unquote_to_bytes(target).startswith(self._file_prefix):  # httpx sends the token's ":" as %3A
                    status, content_type, data = self._download(unquote_to_bytes(target)[len(self._file_prefix):])
                else:
                    status, payload = await self._dispatch(target, headers, body)
                    content_type = b"application/json"
                    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
                writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                             b"Connection: keep-alive\r\n\r\n%s"
                             % (status, b"OK" if status == 200 else b"Error", content_type, len(data), data))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readline()
                return bytes(body)
            body += await reader.readexactly(size)
            await reader.readline()

    def _download(self, file_path: bytes) -> tuple[int, bytes, bytes]:
        """GET <base_file_url>/<file_path>: the bytes of a file a user sent (recorded as a call)."""
        wanted = file_path.split(b"?", 1)[0].decode("utf-8", "replace")
        for file_id, (path, data) in self.files.items():
            if path == wanted:
                self._note(Call("downloadFile", {"file_path": wanted, "file_id": file_id}))
                return 200, b"application/octet-stream", data
        return 404, b"application/json", b'{"ok":false,"error_code":404,"description":"Not Found"}'

    async def _dispatch(self, target: bytes, headers: dict[bytes, bytes], body: bytes) -> tuple[int, dict]:
        path = target.split(b"?", 1)[0]
        if not path.startswith(self._prefix):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = path[len(self._prefix):].decode()
        params = self._parse(headers.get(b"content-type", b"").decode(), body)
        try:
            failures = self._failures.get(method)
            if failures:
                raise failures.popleft()
            if method in self._broken:
                raise self._broken[method]
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params) if method == "getUpdates" else handler(params)
        except ApiError as exc:
            payload: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                payload["parameters"] = {"retry_after": exc.retry_after}
            self._note(Call(method, params, result=payload))
            return exc.code, payload
        if method != "getUpdates":
            self._note(Call(method, params, result=result))
        return 200, {"ok": True, "result": result}

    def _note(self, call: Call) -> None:
        self.counts[call.method] = self.counts.get(call.method, 0) + 1
        if self.record:
            self.calls.append(call)
        self._call_event.set()
        if self.on_call is not None:
            self.on_call(self, call)

    @staticmethod
    def _parse(content_type: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return json.loads(body)
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
            params: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename is not None:
                    params[name] = {"filename": filename, "data": payload}
                else:
                    params[name] = payload.decode("utf-8")
            return FakeBotApi._decode_fields(params)
        return FakeBotApi._decode_fields(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))

    @staticmethod
    def _decode_fields(params: dict[str, Any]) -> dict[str, Any]:
        for key, value in params.items():
            if key in _JSON_FIELDS and isinstance(value, str):
                params[key] = json.loads(value)
            elif key in ("chat_id", "message_id", "offset", "limit", "timeout") and isinstance(value, str) \
                    and value.lstrip("-").isdigit():
                params[key] = int(value)
        return params

    # --- methods ---------------------------------------------------------------------------
    def _m_getMe(self, params):
        return {"id": BOT_ID, "is_bot": True, "first_name": "lawbot", "username": "lawbot_test_bot",
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    def _m_deleteWebhook(self, params):
        return True

    def _m_setWebhook(self, params):  # the call is recorded: url, secret_token, allowed_updates
        return True

    def _m_setMyCommands(self, params):
        self.commands[params.get("language_code", "")] = params.get("commands", [])
        return True

    def _m_getMyCommands(self, params):
        return self.commands.get(params.get("language_code", ""), [])

    def _m_answerCallbackQuery(self, params):
        return True

    def _m_close(self, params):
        return True

    async def _m_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the offset
        if not self._updates and timeout > 0:
            self._update_event.clear()
            try:
                await asyncio.wait_for(self._update_event.wait(), timeout)
            except TimeoutError:
                pass
        batch = []
        for update in self._updates:
            if update["update_id"] >= offset:
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    def _message_json(self, stored: StoredMessage) -> dict:
        message: dict[str, Any] = {"message_id": stored.message_id, "date": int(time.time()),
                                   "chat": {"id": stored.chat_id, "type": "private", "first_name": f"U{stored.chat_id}"},
                                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "lawbot",
                                            "username": "lawbot_test_bot"}}
        if stored.edits:
            message["edit_date"] = int(time.time())
        if stored.kind == "text":
            message["text"] = stored.text
        elif stored.kind == "document":
            message["document"] = {"file_id": f"doc{stored.message_id}", "file_unique_id": f"d{stored.message_id}",
                                   "file_name": stored.file_name, "file_size": stored.file_size}
        else:
            message["photo"] = [{"file_id": f"pho{stored.message_id}", "file_unique_id": f"p{stored.message_id}",
                                 "width": 100, "height": 100, "file_size": stored.file_size}]
        if stored.caption:
            message["caption"] = stored.caption
        if stored.reply_markup:
            message["reply_markup"] = stored.reply_markup
        return message

    @staticmethod
    def _check_text(text: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _chat(self, params) -> dict[int, StoredMessage]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        return self.chats.setdefault(chat_id, {})

    def _m_sendMessage(self, params):
        chat = self._chat(params)
        text = self._check_text(params.get("text"))
        stored = StoredMessage(next(self._message_ids), params["chat_id"], text, self._check_markup(params.get("reply_markup")))
        chat[stored.message_id] = stored
        return self._message_json(stored)

    def _stored(self, params) -> StoredMessage:
        stored = self._chat(params).get(params.get("message_id"))
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return stored

    def _m_editMessageText(self, params):
        stored = self._stored(params)
        text = self._check_text(params.get("text"))
        markup = self._check_markup(params.get("reply_markup"))
        if stored.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if text == stored.text and markup == stored.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup of the message")
        stored.text, stored.reply_markup = text, markup
        stored.edits += 1
        return self._message_json(stored)

    def _m_editMessageReplyMarkup(self, params):
        stored = self._stored(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == stored.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        stored.reply_markup = markup
        stored.edits += 1
        return self._message_json(stored)

    def _send_file(self, params, field_name: str, kind: str):
        chat = self._chat(params)
        upload = params.get(field_name)
        if not isinstance(upload, dict):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        caption = params.get("caption")
        if caption is not None and _utf16_len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        stored = StoredMessage(next(self._message_ids), params["chat_id"], None,
                               self._check_markup(params.get("reply_markup")), kind=kind, caption=caption,
                               file_name=upload["filename"], file_size=len(upload["data"]))
        chat[stored.message_id] = stored
        return self._message_json(stored)

    def _m_getFile(self, params):
        found = self.files.get(params.get("file_id", ""))
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        file_id = params["file_id"]
        path, data = found
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data), "file_path": path}

    def _m_sendDocument(self, params):
        return self._send_file(params, "document", "document")

    def _m_sendPhoto(self, params):
        return self._send_file(params, "photo", "photo")
