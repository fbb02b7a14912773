"""The channel's own reading of Bot API JSON (updates in, errors back, JSON bodies out), checked
against what python-telegram-bot makes of the same JSON."""

from __future__ import annotations

import json

import pytest
from telegram import Chat, Message, Update
from telegram.error import TelegramError
from telegram.request import BaseRequest

from bot.app.messages import Incoming
from bot.channels.telegram.aiohttp_request import api_error, encode_params
from bot.channels.telegram.inbound import Document, RawUpdate, inbound_of, parse_update, raw_update

USER = {"id": 1001, "is_bot": False, "first_name": "A", "language_code": "en-GB"}
PRIVATE = {"id": 1001, "type": "private", "first_name": "A"}
GROUP = {"id": -500, "type": "supergroup", "title": "G"}
KEYBOARD = {"inline_keyboard": [[{"text": "x", "callback_data": "p:1"}]]}


def _message(**fields) -> dict:
    return {"message_id": 7, "date": 1_700_000_000, "chat": PRIVATE, "from": USER, **fields}


UPDATES = {
    "text": {"update_id": 1, "message": _message(text="/start")},
    "caption": {"update_id": 2, "message": _message(caption="题库", document={
        "file_id": "F", "file_unique_id": "u", "file_name": "bank.xlsx", "file_size": 12})},
    "document without name or size": {"update_id": 3, "message": _message(document={"file_id": "F", "file_unique_id": "u"})},
    "sticker": {"update_id": 4, "message": _message(sticker={"file_id": "S", "file_unique_id": "s", "type": "regular",
                                                             "width": 1, "height": 1, "is_animated": False,
                                                             "is_video": False})},
    "group": {"update_id": 5, "message": _message(chat=GROUP, text="hi")},
    "no language": {"update_id": 6, "message": _message(text="x", **{"from": {"id": 1001, "is_bot": False,
                                                                              "first_name": "A"}})},
    "button": {"update_id": 7, "callback_query": {"id": "q1", "from": USER, "chat_instance": "c", "data": "x:l",
                                                  "message": _message(text="menu", reply_markup=KEYBOARD)}},
    "button in a group": {"update_id": 8, "callback_query": {"id": "q2", "from": USER, "chat_instance": "c",
                                                             "data": "x:l", "message": _message(chat=GROUP, text="m")}},
    "button on an old message": {"update_id": 9, "callback_query": {
        "id": "q3", "from": USER, "chat_instance": "c", "data": "x:l",
        "message": {"chat": PRIVATE, "message_id": 5, "date": 0}}},
    "button without message": {"update_id": 10, "callback_query": {"id": "q4", "from": USER, "chat_instance": "c",
                                                                   "inline_message_id": "im", "data": "x:l"}},
    "game button": {"update_id": 11, "callback_query": {"id": "q5", "from": USER, "chat_instance": "c",
                                                        "game_short_name": "g", "message": _message(text="m")}},
    "edited message": {"update_id": 12, "edited_message": _message(text="x", edit_date=1_700_000_001)},
    "channel post": {"update_id": 13, "channel_post": {"message_id": 1, "date": 1, "text": "x",
                                                       "chat": {"id": -9, "type": "channel", "title": "C"}}},
    "poll answer": {"update_id": 14, "poll_answer": {"poll_id": "p", "user": USER, "option_ids": [0],
                                                     "option_persistent_ids": ["a"]}},
}


def _from_ptb(data: dict):
    """What the channel took from python-telegram-bot's objects before it read the JSON itself:
    the Incoming, the reply chat, the editable message and the callback query id."""
    update = Update.de_json(data, None)
    user = update.effective_user
    if user is None:
        return None
    chat = update.effective_chat
    private = chat is None or chat.type == Chat.PRIVATE
    query = update.callback_query
    key, locale, update_id = f"tg:{user.id}", user.language_code, f"tg:{update.update_id}"
    if query is not None:
        incoming = Incoming(key, action=query.data if isinstance(query.data, str) else "", locale=locale,
                            update_id=update_id, private=private)
        editable = None
        if isinstance(query.message, Message) and query.message.is_accessible:
            editable = (query.message.chat_id, query.message.message_id)
        return incoming, chat.id if chat else user.id, editable, query.id, None
    message = update.message
    if message is None:
        return None
    document = message.document
    incoming = Incoming(key, text=message.text or message.caption or "", locale=locale, update_id=update_id,
                        private=private)
    return (incoming, chat.id if chat else user.id, None, None,
            Document(document.file_id, document.file_name or "", document.file_size) if document else None)


@pytest.mark.parametrize("name", list(UPDATES))
def test_json_reading_matches_python_telegram_bot(name):
    data = UPDATES[name]
    inbound = parse_update(data)
    expected = _from_ptb(data)
    got = None if inbound is None else (inbound.incoming, inbound.chat_id, inbound.editable, inbound.callback_id,
                                        inbound.document)
    assert got == expected
    if inbound is not None:
        assert inbound.user_id == 1001
    # the same through the Application's paths: a RawUpdate, and an Update built from the JSON
    assert inbound_of(RawUpdate(data)) == inbound
    assert inbound_of(Update.de_json(data, None)) == inbound


def test_the_cases_cover_what_the_channel_acts_on():
    kinds = {name: parse_update(data) for name, data in UPDATES.items()}
    assert kinds["button"].editable == (1001, 7) and kinds["button on an old message"].editable is None
    assert kinds["button without message"].editable is None and kinds["game button"].incoming.action == ""
    assert kinds["caption"].document == Document("F", "bank.xlsx", 12) and kinds["caption"].incoming.text == "题库"
    assert kinds["group"].incoming.private is False and kinds["group"].chat_id == -500
    assert all(kinds[k] is None for k in ("edited message", "channel post", "poll answer"))


@pytest.mark.parametrize("data", [
    None, [], "x", {}, {"update_id": "1", "message": _message(text="x")}, {"update_id": True, "message": _message()},
    {"update_id": 1, "message": "x"}, {"update_id": 1, "message": _message(**{"from": {"id": "1001"}})},
    {"update_id": 1, "message": _message(**{"from": None})}, {"update_id": 1, "callback_query": {"data": "x"}},
    {"update_id": 1, "message": _message(text=5, chat=[], document={"file_id": 3})},
])
def test_malformed_json_is_ignored_or_read_safely(data):
    inbound = parse_update(data)
    if inbound is not None:  # the last case: a user, but fields of the wrong types
        assert inbound.incoming.text == "" and inbound.document is None and inbound.chat_id == 1001
    assert (raw_update(data) is None) == (not isinstance(data, dict) or type(data.get("update_id")) is not int)


def test_raw_update_is_an_update_without_typed_fields():
    update = raw_update(UPDATES["button"])
    assert isinstance(update, Update) and update.update_id == 7
    assert update.callback_query is None and update.effective_user is None
    assert update.inbound is update.inbound  # parsed once


class _Answer(BaseRequest):
    """A request backend that answers every call with one fixed HTTP status and body."""

    def __init__(self, status: int, body: bytes):
        self.answer = (status, body)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, *args, **kwargs):
        return self.answer


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB's own RetryAfter
@pytest.mark.parametrize("status, body", [
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}),
    (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
    (404, {"ok": False, "error_code": 404, "description": "Not Found"}),
    (409, {"ok": False, "error_code": 409, "description": "Conflict: terminated by other getUpdates request"}),
    (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
           "parameters": {"retry_after": 3}}),
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: group chat was upgraded",
           "parameters": {"migrate_to_chat_id": -100123}}),
    (400, {"ok": False, "error_code": 400, "description": "odd", "parameters": {"something": 1}}),
    (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
    (502, b"<html>Bad Gateway</html>"),
    (503, {"ok": False}),
    (599, b""),
])
async def test_errors_are_the_ones_python_telegram_bot_raises(status, body):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(TelegramError) as ptb:
        await _Answer(status, payload).post("https://api.telegram.org/botT/sendMessage")
    ours = api_error(status, payload)
    assert type(ours) is type(ptb.value) and str(ours) == str(ptb.value)


def test_json_bodies_embed_keyboards_given_as_json_text():
    markup = json.dumps(KEYBOARD, ensure_ascii=False)
    body = encode_params({"chat_id": 1, "text": "你好 \"x\"", "reply_markup": markup})
    assert json.loads(body) == {"chat_id": 1, "text": "你好 \"x\"", "reply_markup": KEYBOARD}
    assert json.loads(encode_params({"reply_markup": markup})) == {"reply_markup": KEYBOARD}
    assert json.loads(encode_params({"reply_markup": KEYBOARD, "a": [1]})) == {"reply_markup": KEYBOARD, "a": [1]}
    assert encode_params({}) == b"{}"
