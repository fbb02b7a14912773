"""Callback authentication and abuse: URL verification, signatures, the timestamp window, replayed
nonces, body size, malformed XML; the 5-second rule: retries answered once, long and slow answers."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.wechat.signing import signature
from tests.channels.wechat.harness import serve
from tests.support.fake_wechat_api import FakeWeChatApi
from tests.support.wechat_peer import TOKEN, number_of, shows_menu

USER = "oUser_openid_000000000002"


async def test_url_verification_echoes_echostr(tmp_path, clock):
    async with serve(tmp_path, clock, "safe") as h:
        ts, nonce = str(int(clock.now())), "n1"
        query = {"timestamp": ts, "nonce": nonce, "signature": signature(TOKEN, ts, nonce), "echostr": "12345"}
        async with h.peer.session.get(h.peer.url, params=query) as response:
            assert response.status == 200 and await response.text() == "12345"
        query["signature"] = "0" * 40
        query["nonce"] = "n2"
        async with h.peer.session.get(h.peer.url, params=query) as response:
            assert response.status == 403


async def test_wecom_url_verification_decrypts_echostr(tmp_path, clock):
    import xmltodict

    async with serve(tmp_path, clock, "wecom") as h:
        ts, nonce = str(int(clock.now())), "n1"
        envelope = xmltodict.parse(h.peer.crypto.encrypt_message("echo-42", nonce, ts))["xml"]
        echo = envelope["Encrypt"]
        query = {"timestamp": ts, "nonce": nonce, "echostr": echo, "msg_signature": signature(TOKEN, ts, nonce, echo)}
        async with h.peer.session.get(h.peer.url, params=query) as response:
            assert response.status == 200 and await response.text() == "echo-42"


@pytest.mark.parametrize("mode", ["plain", "safe", "wecom"])
async def test_forged_stale_and_replayed_callbacks_are_refused(tmp_path, clock, mode):
    async with serve(tmp_path, clock, mode) as h:
        xml = h.peer.text_xml(USER, "菜单")
        query, body = h.peer.signed(xml)
        key = "msg_signature" if mode != "plain" else "signature"
        forged = dict(query, **{key: signature("wrong-token", query["timestamp"], query["nonce"])})
        assert (await h.peer.post(query=forged, body=body)).status == 403
        stale = str(int(clock.now()) - 301)
        assert (await h.peer.post(xml, timestamp=stale)).status == 403
        future = str(int(clock.now()) + 301)
        assert (await h.peer.post(xml, timestamp=future)).status == 403
        missing = {k: v for k, v in query.items() if k != key}
        assert (await h.peer.post(query=missing, body=body)).status == 403
        # the genuine request is answered; a different message under the same nonce is a replay
        assert (await h.peer.post(query=query, body=body)).status == 200
        other_query, other_body = h.peer.signed(h.peer.text_xml(USER, "练习"), nonce=query["nonce"],
                                                timestamp=query["timestamp"])
        assert (await h.peer.post(query=other_query, body=other_body)).status == 403
        # nothing but the genuine message was processed
        assert await h.app.storage.sessions.get_menu(f"{'wecom' if mode == 'wecom' else 'wx'}:{USER}")
        # after the window even the identical request is refused
        clock.advance(120)
        h.channel._pending.clear()  # as after PENDING_TTL
        assert (await h.peer.post(query=query, body=body)).status == 403


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_malformed_and_oversized_bodies(tmp_path, clock, mode, caplog):
    async with serve(tmp_path, clock, mode, max_body_bytes=4096) as h:
        for junk in (b"", b"not xml", b"<xml><a></xml>", b"<other/>", b"<xml>text</xml>",
                     b"<xml><MsgType>text</MsgType></xml>", "<xml>\u4e2d".encode(), b"\xff\xfe\x00<"):
            if mode == "plain":
                query, body = h.peer.signed("ignored")
            else:  # a well-signed envelope around junk, or junk instead of the envelope
                query, _ = h.peer.signed("ignored")
            body = junk
            if mode == "safe":
                query["msg_signature"] = signature(TOKEN, query["timestamp"], query["nonce"], "")
            answer = await h.peer.post(query=query, body=body)
            assert answer.status in (400, 403), (junk, answer.status)
        # encrypted junk with a valid signature over it
        query, _ = h.peer.signed("x")
        if mode == "safe":
            body = "<xml><Encrypt><![CDATA[bm90IGEgdmFsaWQgY2lwaGVydGV4dA==]]></Encrypt></xml>"
            query["msg_signature"] = signature(TOKEN, query["timestamp"], query["nonce"],
                                               "bm90IGEgdmFsaWQgY2lwaGVydGV4dA==")
            assert (await h.peer.post(query=query, body=body)).status == 400
        big = h.peer.text_xml(USER, "法" * 5000)
        answer = await h.peer.post(big)
        assert answer.status == 413
        assert "malformed" in caplog.text
        # still serving
        assert (await h.peer.say(USER, "菜单")).status == 200


async def test_entity_expansion_is_refused(tmp_path, clock):
    async with serve(tmp_path, clock, "plain") as h:
        bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                f'<xml><ToUserName>gh</ToUserName><FromUserName>{USER}</FromUserName><CreateTime>1</CreateTime>'
                '<MsgType>text</MsgType><Content>&b;</Content><MsgId>1</MsgId></xml>')
        answer = await h.peer.post(bomb)
        assert answer.status == 400


async def test_retries_of_a_message_are_answered_once(tmp_path, clock):
    async with serve(tmp_path, clock, "safe") as h:
        answer = await h.peer.say(USER, "练习")
        answer = await h.peer.say(USER, number_of(answer.content, "专项练习"))
        assert "第 1 题" in (await h.peer.say(USER, number_of(answer.content, "民法典"))).content
        msg_id = h.peer.next_msg_id()
        calls = []
        handle = h.app.service.handle

        async def counting(incoming):
            calls.append(incoming)
            return await handle(incoming)

        h.app.service.handle = counting
        # WeChat resends the same MsgId (new nonce each time), twice while the first is running
        first, second, third = await asyncio.gather(*(h.peer.say(USER, "A", msg_id=msg_id) for _ in range(3)))
        assert first.content == second.content == third.content
        assert "回答正确" in first.content or "回答错误" in first.content
        later = await h.peer.say(USER, "A", msg_id=msg_id)  # a late retry: same answer again
        assert later.content == first.content
        assert len(calls) == 1
        answers, _ = await h.app.storage.practice.answer_stats(f"wx:{USER}")
        assert answers == 1


async def test_events_are_deduplicated_by_user_and_create_time(tmp_path, clock):
    async with serve(tmp_path, clock, "plain") as h:
        xml = h.peer.click_xml(USER, "p:m", create_time=1_767_225_000)
        first = await h.peer.post(xml)
        again = await h.peer.post(xml)
        assert first.content == again.content and "学法练习" in first.content


@pytest.mark.parametrize("mode", ["plain", "safe", "wecom"])
async def test_two_different_clicks_in_one_second_are_both_handled(tmp_path, clock, mode):
    async with serve(tmp_path, clock, mode) as h:
        calls = []
        handle = h.app.service.handle

        async def counting(incoming):
            calls.append(incoming.action)
            return await handle(incoming)

        h.app.service.handle = counting
        second = 1_767_225_000
        practice = await h.peer.post(h.peer.click_xml(USER, "p:m", create_time=second))
        law = await h.peer.post(h.peer.click_xml(USER, "l:m", create_time=second))  # same user, same second
        assert "学法练习" in practice.content and "查法条" in law.content
        retry = await h.peer.post(h.peer.click_xml(USER, "l:m", create_time=second))  # WeChat's retry
        assert retry.content == law.content
        assert calls == ["p:m", "l:m"]


async def test_long_answer_continues_through_the_message_api(tmp_path, clock):
    api = FakeWeChatApi()
    await api.start()
    try:
        async with serve(tmp_path, clock, "safe", api_url=api.base_url, max_reply_bytes=300) as h:
            answer = await h.peer.say(USER, "/help")
            assert len(answer.content.encode()) <= 300
            assert "其余内容随后发送" in answer.content
            sent = await h.drain()
            assert sent >= 1
            texts = [text for to, text in api.sent]
            assert all(len(t.encode()) <= 300 for t in texts)
            assert shows_menu(texts[-1])  # the menu comes last
            assert await h.drain() == 0  # each part once
    finally:
        await api.stop()


async def test_long_answer_without_the_api_is_shortened_keeping_the_menu(tmp_path, clock):
    async with serve(tmp_path, clock, "plain", max_reply_bytes=300) as h:
        answer = await h.peer.say(USER, "/help")
        assert len(answer.content.encode()) <= 300
        assert "已省略" in answer.content and shows_menu(answer.content)


def _slow_core(h) -> asyncio.Event:
    """Hold every turn until the returned event is set."""
    release = asyncio.Event()
    handle = h.app.service.handle

    async def slow(incoming):
        await release.wait()
        return await handle(incoming)

    h.app.service.handle = slow
    return release


async def test_slow_answer_gets_a_note_now_and_the_answer_later(tmp_path, clock):
    api = FakeWeChatApi()
    await api.start()
    try:
        async with serve(tmp_path, clock, "safe", api_url=api.base_url, reply_timeout_seconds=0.05) as h:
            release = _slow_core(h)
            msg_id = h.peer.next_msg_id()
            answer = await h.peer.say(USER, "菜单", msg_id=msg_id)
            assert "稍后发送" in answer.content
            retry = await h.peer.say(USER, "菜单", msg_id=msg_id)
            assert retry.status == 200 and retry.body == "success"  # handed over: no second answer
            release.set()
            await h.channel.close()  # the late delivery is queued
            assert await h.drain() == 1
            (to, text), = api.sent
            assert to == USER and shows_menu(text)
    finally:
        await api.stop()


async def test_slow_answer_without_the_api_is_collected_by_the_retry(tmp_path, clock):
    async with serve(tmp_path, clock, "plain", reply_timeout_seconds=0.05) as h:
        release = _slow_core(h)
        msg_id = h.peer.next_msg_id()
        first = asyncio.create_task(h.peer.say(USER, "菜单", msg_id=msg_id))  # WeChat gives up on it
        await asyncio.sleep(0.1)
        retry = asyncio.create_task(h.peer.say(USER, "菜单", msg_id=msg_id))
        await asyncio.sleep(0)
        release.set()
        assert shows_menu((await retry).content)
        assert (await first).content == (await retry).content


async def test_api_errors_map_to_outbox_outcomes(tmp_path, clock):
    from bot.channels.wechat.adapter import WeChatSender
    from bot.scheduler.delivery import Outcome

    api = FakeWeChatApi()
    await api.start()
    try:
        async with serve(tmp_path, clock, "plain", api_url=api.base_url) as h:
            sender = WeChatSender(h.channel)
            user = f"wx:{USER}"
            expected = [((-1, "system busy"), Outcome.TRANSIENT), ((45047, "out of quota"), Outcome.RETRY_AFTER),
                        ((45015, "response out of time limit"), Outcome.PERMANENT),
                        ((43004, "require subscribe"), Outcome.BLOCKED)]
            for error, outcome in expected:
                api.fail_with.append(error)
                assert (await sender.deliver(user, {"text": "hello"})).outcome is outcome
            assert (await sender.deliver(user, {"text": "hello"})).outcome is Outcome.SENT
            assert (await sender.deliver("tg:1", {"text": "x"})).outcome is Outcome.PERMANENT
            assert api.sent == [(USER, "hello")]
            # through the outbox: a transient error is retried later
            await h.app.storage.outbox.enqueue("wx", user, {"text": "again"}, "t1", clock.now())
            api.fail_with.append((-1, "system busy"))
            assert await h.drain() == 0
            clock.advance(3600)
            assert await h.drain() == 1
            assert api.sent[-1] == (USER, "again")
    finally:
        await api.stop()


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_a_nonce_replayed_to_another_worker_is_refused(tmp_path, clock, mode):
    """Two workers on one database behind a load balancer: a request seen by one is a replay for
    the other (the nonce is recorded in the database, not only in the worker's memory)."""
    from bot.channels.wechat.adapter import wechat_channels
    from bot.httpserver import HttpServer
    from tests.channels.wechat.harness import sections
    from tests.support.transcript import make_app

    async with serve(tmp_path, clock, mode) as h:
        other_app = await make_app(tmp_path, clock, **sections(mode))  # the same database file
        (other,) = wechat_channels(other_app)
        server = HttpServer("127.0.0.1", 0, 64 * 1024, 2.0, other.routes())
        await server.start()
        try:
            async def post_to_other(query: dict, body: str) -> int:
                async with h.peer.session.post(server.url + other.platform.path, params=query, data=body,
                                               headers={"Content-Type": "text/xml"}) as response:
                    return response.status

            query, body = h.peer.signed(h.peer.text_xml(USER, "菜单"))
            assert (await h.peer.post(query=query, body=body)).status == 200
            assert await post_to_other(query, body) == 403
            replay_query, replay_body = h.peer.signed(h.peer.text_xml(USER, "练习"), nonce=query["nonce"],
                                                      timestamp=query["timestamp"])
            assert await post_to_other(replay_query, replay_body) == 403
            # a fresh request is served by either worker
            fresh_query, fresh_body = h.peer.signed(h.peer.text_xml(USER, "菜单"))
            assert await post_to_other(fresh_query, fresh_body) == 200
            assert (await h.peer.post(query=fresh_query, body=fresh_body)).status == 403
        finally:
            await server.stop()
            await other.close()
            await other_app.close()
