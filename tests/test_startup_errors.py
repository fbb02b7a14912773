"""What stops `lawbot` before it serves (a damaged database file, a config saved by Windows
Notepad, an unusable data folder) is one plain line, within seconds, with nothing written.

The commands run in the test process (tests.support.cli), but for one real `python -m bot` child
for a damaged database and for a GBK config that starts the chat."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from tests.support import cli
from tests.support.templates import migrated_sqlite

REPO = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k not in ("LAWBOT_LANG", "LC_ALL", "LC_MESSAGES")}
ENV["LANG"] = "C.UTF-8"


QUICK = 10.0  # seconds a start-up error may take
HANG = 90.0  # longer than this is a hang even on a machine shared by many test runs


def _overloaded() -> bool:
    return os.getloadavg()[0] > (os.cpu_count() or 1)


def lawbot_process(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`python -m bot ARGS` in a child process. Fails the test when it hangs, or when it takes
    longer than QUICK seconds on a machine that is not overloaded (other test runs slow start-up
    itself)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                            cwd=REPO, env=ENV, timeout=HANG)
    elapsed = time.monotonic() - started
    assert elapsed < QUICK or _overloaded(), f"lawbot {' '.join(args)} took {elapsed:.1f} s"
    return result


def lawbot(*args: str, stdin: str = "") -> cli.Result:
    """`lawbot ARGS` in this process, within QUICK seconds too."""
    started = time.monotonic()
    result = cli.lawbot(*args, stdin=stdin)
    elapsed = time.monotonic() - started
    assert elapsed < QUICK or _overloaded(), f"lawbot {' '.join(args)} took {elapsed:.1f} s"
    return result


def _make_database(folder: Path) -> Path:
    path = migrated_sqlite(folder / "lawbot.sqlite3")  # what `lawbot chat` makes on its first start
    assert path.stat().st_size > 12288
    return path


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "header":
        data[:100] = b"\xff" * 100
    elif how == "truncated":
        data = data[:len(data) // 2]
    else:  # garbled pages in the middle
        data[4096:12288] = bytes((i * 37) % 251 for i in range(8192))
    path.write_bytes(bytes(data))


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("how, command, run", [
    ("header", ["chat", "--data-dir"], lawbot_process), ("truncated", ["chat", "--data-dir"], lawbot),
    ("garbled", ["chat", "--data-dir"], lawbot), ("header", ["stats", "--exam", "x", "--data-dir"], lawbot),
    ("truncated", ["stats", "snapshot", "--data-dir"], lawbot),
], ids=["header-chat-process", "truncated-chat", "garbled-chat", "header-stats", "truncated-snapshot"])
def test_a_damaged_database_is_one_line_and_nothing_is_written(tmp_path, how, command, run):
    path = _make_database(tmp_path / "data")
    for extra in tmp_path.joinpath("data").glob("lawbot.sqlite3-*"):
        extra.unlink()
    _damage(path, how)
    before = _snapshot(path.parent)
    result = run(*command, str(path.parent), stdin="/start\n")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and "备份" in lines[0] and "lawbot db check" in lines[0]
    assert _snapshot(path.parent) == before  # no -wal/-shm, no migration, no repair attempt


@pytest.mark.sqlite_only
def test_db_check_says_whether_the_file_is_sound(tmp_path):
    path = _make_database(tmp_path / "data")
    good = lawbot("db", "check", "--data-dir", str(path.parent))
    assert good.returncode == 0 and "完好" in good.stdout, good.stderr
    _damage(path, "header")
    bad = lawbot("db", "check", str(path))
    assert bad.returncode == 1 and "已损坏" in bad.stderr and "Traceback" not in bad.stderr
    english = lawbot("--lang", "en", "db", "check", str(path))
    assert english.returncode == 1 and "is damaged" in english.stderr
    missing = lawbot("db", "check", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 1 and "不存在" in missing.stderr


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_a_config_saved_by_notepad_is_read(tmp_path, encoding):
    path = tmp_path / "config.yaml"
    path.write_bytes("# 数据目录（记事本保存）\ndata_dir: 数据\nlocality: {city: 杭州市}\n".encode(encoding))
    config = load_config(path)
    assert config.data_dir == Path("数据") and config.locality["city"] == "杭州市"


def test_a_gbk_config_starts_the_chat(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(f"# 数据目录\ndata_dir: {tmp_path / 'data'}\n".encode("gbk"))
    result = lawbot_process("--config", str(path), "chat", stdin="/quit\n")
    assert result.returncode == 0 and "学法练习" in result.stdout, result.stderr


def test_an_unreadable_config_says_the_file_and_the_fix(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"data_dir: \x81\x30\xff\xfe\x00 x\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "UTF-8" in str(info.value)
    result = lawbot("--config", str(path), "chat")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and str(path) in result.stderr
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("exam:\n  sweep_interval_seconds: [1\n", encoding="utf-8")
    result = lawbot("--config", str(bad_yaml), "chat")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "bad.yaml" in result.stderr
    missing = lawbot("--config", str(tmp_path / "nope.yaml"), "chat")
    assert missing.returncode == 2 and "不存在" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.parametrize("how", ["option", "config"])
def test_an_unusable_data_dir_is_one_line(tmp_path, how):
    if how == "option":
        result = lawbot("chat", "--data-dir", "/proc/nope", stdin="/start\n")
    else:
        path = tmp_path / "config.yaml"
        path.write_text("data_dir: /proc/nope\n", encoding="utf-8")
        result = lawbot("--config", str(path), "stats", "snapshot")
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "/proc/nope" in lines[0] and "data_dir" in lines[0], result.stderr
    english = lawbot("--lang", "en", "chat", "--data-dir", "/proc/nope")
    assert "data folder /proc/nope cannot be used" in english.stderr
