"""Shared fixtures. Tests never reach the network: sockets may only connect to loopback."""

from __future__ import annotations

import socket

import pytest

from bot.app.clock import ManualClock
from tests.support.transcript import Chat, make_app

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
        raise RuntimeError(f"network access to {host!r} is not allowed in tests")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def app(tmp_path, clock):
    application = await make_app(tmp_path, clock)
    yield application
    await application.close()


@pytest.fixture
def chat(app) -> Chat:
    return Chat(app)
