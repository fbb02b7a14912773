"""A console exam's conditional update (save_console_exam's expected_revision): on SQLite and
PostgreSQL. The console's edit form writes only over the revision it read, so of two saves that
read the same revision one is stored (tests/web/test_concurrent_saves.py drives it over HTTP)."""

from __future__ import annotations


async def test_an_update_over_another_revision_than_expected_changes_nothing(store):
    repo = store.console_exams
    assert await repo.save_console_exam("e1", {"id": "e1", "title": {"zh": "甲"}}, "cli:a", 10.0, create=True)
    read = (await repo.console_exam("e1")).revision
    assert await repo.save_console_exam("e1", {"id": "e1", "title": {"zh": "乙"}}, "cli:b", 11.0, create=False,
                                        expected_revision=read)
    assert not await repo.save_console_exam("e1", {"id": "e1", "title": {"zh": "丙"}}, "cli:c", 12.0, create=False,
                                            expected_revision=read)  # saved by cli:b since it was read
    row = await repo.console_exam("e1")
    assert row.body["title"] == {"zh": "乙"} and row.updated_by == "cli:b" and row.revision > read
    assert await repo.save_console_exam("e1", {"id": "e1", "title": {"zh": "丁"}}, "cli:c", 13.0, create=False)
    assert (await repo.console_exam("e1")).body["title"] == {"zh": "丁"}  # no expected revision: as before
