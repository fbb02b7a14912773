"""Bank versions per file (bot/storage/sql/bank_versions.py newest_per_path): a worker that applied
version N gets, for every bank file changed after N, that file's newest version, oldest first; the
files changed only before N are left out. The same test on SQLite and on PostgreSQL."""

from __future__ import annotations

from bot.storage.ports import BankVersion


async def test_each_changed_file_gives_its_newest_version_in_version_order(store):
    versions = store.bank_versions
    assert await versions.newest_per_path(0) == []
    for n, (path, by) in enumerate([("quizzes/bank/a.yaml", "tg:1"), ("quizzes/bank/b.yaml", None),
                                    ("quizzes/bank/a.yaml", "tg:2"), ("quizzes/bank/c.yaml", "web:3"),
                                    ("quizzes/bank/b.yaml", "cli")], start=1):
        assert await versions.publish(path, f"{path} v{n}\n", 100.0 + n, by) == n
    a3 = BankVersion(3, "quizzes/bank/a.yaml", "quizzes/bank/a.yaml v3\n", 103.0, "tg:2")
    c4 = BankVersion(4, "quizzes/bank/c.yaml", "quizzes/bank/c.yaml v4\n", 104.0, "web:3")
    b5 = BankVersion(5, "quizzes/bank/b.yaml", "quizzes/bank/b.yaml v5\n", 105.0, "cli")
    assert await versions.newest_per_path(0) == [a3, c4, b5]
    assert await versions.newest_per_path(2) == [a3, c4, b5]
    assert await versions.newest_per_path(3) == [c4, b5]
    assert await versions.newest_per_path(4) == [b5]
    assert await versions.newest_per_path(5) == []
    assert await versions.latest() == b5  # unchanged: the newest of all
