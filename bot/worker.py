"""This process's name among the workers sharing one database: host, process id and a random
suffix (a restarted process with a reused pid is a different worker). Outbox claims and the
leader's lock are held under it."""

from __future__ import annotations

import os
import secrets
import socket

_ID: list[str] = []


def worker_id() -> str:
    if not _ID or _ID[0].split(":")[1] != str(os.getpid()):  # a forked child names itself anew
        _ID[:] = [f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"]
    return _ID[0]
