"""The nginx server block of docs/deploy.md, run for real: TLS (a self-signed certificate) in
front of `lawbot run --workers 2`, with a second upstream that is down (a machine away), so
nginx must pass the WeChat callbacks and /healthz on to the live one; the admin console is
refused outside the office network and works inside it (a second copy of the block allows
loopback). Skipped, with the reason, where nginx or openssl is not installed."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
import sys

import aiohttp
import pytest

from bot.clock import SystemClock
from tests.multiworker.processes import REPO, Process, free_port, wait_healthy, write_config
from tests.support.wechat_peer import WeChatPeer

pytestmark = pytest.mark.sqlite_only  # the workers open the SQLite file under their data_dir


def _server_block() -> str:
    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    return re.search(r"```nginx\n(.*?)```", text, re.S).group(1)


async def _console_through_the_proxy(session, base: str, config) -> None:
    """From the office network: a login link works through nginx and the session cookie is
    Secure (nginx says X-Forwarded-Proto https)."""
    made = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "--config", str(config),
                                                    "web-link", "cli:root"],
                                   cwd=REPO, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1].split("token=", 1)[1]
    async with session.get(f"{base}/admin/login", params={"token": token}) as response:
        assert response.status == 200 and 'name="token"' in await response.text()
    async with session.post(f"{base}/admin/login", data={"token": token}, allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/admin/"
        cookie = response.cookies["lawbot_console"]
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
    async with session.get(f"{base}/admin/", cookies={"lawbot_console": cookie.value},
                           allow_redirects=False) as response:
        assert response.status == 200 and "首页" in await response.text()


def _nginx_conf(folder, block: str, live: int, dead: int, listen: int, office: int) -> str:
    block = block.replace("server 10.0.0.11:8080", f"server 127.0.0.1:{live}")
    block = block.replace("server 10.0.0.12:8080", f"server 127.0.0.1:{dead}")
    block = block.replace("/etc/ssl/lawbot/fullchain.pem", str(folder / "cert.pem"))
    block = block.replace("/etc/ssl/lawbot/privkey.pem", str(folder / "key.pem"))
    server = block[block.index("server {"):]
    block = block.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;")
    # the same server block once more, on a port where this machine counts as the office network
    office_server = server.replace("listen 443 ssl;", f"listen 127.0.0.1:{office} ssl;")
    assert "allow 10.0.0.0/8;" in office_server
    block += "\n" + office_server.replace("allow 10.0.0.0/8;", "allow 127.0.0.0/8;")
    temp = " ".join(f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off; user root; worker_processes 1; pid {folder / 'nginx.pid'}; "
            f"error_log {folder / 'error.log'} warn;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{ access_log off; {temp}\n{block}\n}}\n")


async def test_the_documented_nginx_block_fronts_the_workers(tmp_path):
    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not shutil.which(nginx) or not openssl:
        pytest.skip("nginx or openssl is not installed")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=bot.example.org", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    live, dead, listen, office = free_port(), free_port(), free_port(), free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(_nginx_conf(tmp_path, _server_block(), live, dead, listen, office), encoding="utf-8")
    checked = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    config = write_config(tmp_path, "sup", live, admin={"super_admins": ["cli:root"]})
    workers = Process(tmp_path, "sup", config, "--workers", "2").start()
    proxy = subprocess.Popen([nginx, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
            await wait_healthy(session, f"http://127.0.0.1:{live}", workers)
            base = f"https://127.0.0.1:{listen}"
            async with session.get(f"{base}/healthz", headers={"Host": "bot.example.org"}) as response:
                assert response.status == 200 and (await response.json())["status"] == "ok"
            for path in ("/verify/X", "/metrics", "/"):
                async with session.get(f"{base}{path}") as response:
                    assert response.status == 404, path  # nothing else is exposed
            for path in ("/admin", "/admin/", "/admin/login"):  # the console: from the office network only
                async with session.get(f"{base}{path}") as response:  # /admin: nginx adds the slash
                    assert response.status == 403, path
            await _console_through_the_proxy(session, f"https://127.0.0.1:{office}", config)
            peer = WeChatPeer(session, f"{base}/wechat", SystemClock())
            answers = await asyncio.gather(*(peer.say(f"oNginx{n:03d}", "菜单") for n in range(20)))
            assert all(a.status == 200 and "回复" in (a.content or "") for a in answers), answers[0]
    finally:
        proxy.send_signal(signal.SIGQUIT)
        try:
            proxy.wait(10)
        except subprocess.TimeoutExpired:
            proxy.kill()
        assert workers.stop() == 0, workers.output()[-4000:]
