"""Console exams and gap marks (issue 12): on SQLite and PostgreSQL."""

from __future__ import annotations


async def test_console_exams_create_update_and_revision(store):
    repo = store.console_exams
    assert await repo.exam_revision() == 0
    assert (await store.sessions.get_turn_with_exams("cli:x"))[2] == 0
    assert await repo.save_console_exam("e1", {"id": "e1", "title": {"zh": "甲"}}, "cli:root", 10.0, create=True)
    first = await repo.exam_revision()
    assert first > 0
    assert not await repo.save_console_exam("e1", {"id": "e1"}, "cli:root", 11.0, create=True)  # id taken
    assert not await repo.save_console_exam("nope", {"id": "nope"}, "cli:root", 11.0, create=False)
    assert await repo.save_console_exam("e2", {"id": "e2"}, "cli:b", 12.0, create=True)
    second = await repo.exam_revision()
    assert await repo.save_console_exam("e1", {"id": "e1", "title": {"zh": "乙"}}, "cli:c", 13.0, create=False)
    third = await repo.exam_revision()
    assert first < second < third
    assert (await store.sessions.get_turn_with_exams("cli:x")) == ({}, None, third)
    row = await repo.console_exam("e1")
    assert row.body["title"] == {"zh": "乙"} and row.created_by == "cli:root" and row.updated_by == "cli:c"
    assert row.created_at == 10.0 and row.updated_at == 13.0
    assert [r.id for r in await repo.console_exams()] == ["e1", "e2"]
    assert await repo.console_exam("missing") is None


async def test_gap_marks(store):
    marks = store.gap_marks
    assert await marks.gap_marks([]) == {}
    await marks.mark_gap("怎么办理居住证", "cli:root", 5.0, "加了办事指南")
    await marks.mark_gap("怎么办理居住证", "cli:other", 6.0)
    found = await marks.gap_marks(["怎么办理居住证", "别的问题"])
    assert list(found) == ["怎么办理居住证"]
    assert found["怎么办理居住证"].handled_by == "cli:other" and found["怎么办理居住证"].handled_at == 6.0
    assert await marks.unmark_gap("怎么办理居住证")
    assert not await marks.unmark_gap("怎么办理居住证")
    assert await marks.gap_marks(["怎么办理居住证"]) == {}
