"""Question bank YAML (docs/content-formats.md): Question -> mapping, whole-file export, and the
merge an import does into a bank file (update by id, append new ones)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.catalog.bank_io.columns import ImportProblem, Record
from bot.catalog.yamlsrc import SourceError, line_of, load_yaml
from bot.domain.models import LETTERS, QType, Question

HEADER = ("# Questions imported with `lawbot bank import`; re-importing updates them by id.\n"
          "# Format: docs/content-formats.md. Edits here are kept, but comments are not.\n")


def question_mapping(q: Question, parent: Question | None = None) -> dict[str, Any]:
    """A question as bank YAML. A material: its text and subs (each sub without the tags,
    audience and difficulty it inherits)."""
    if q.type is QType.MATERIAL:
        return {"id": q.id, "type": q.type.value, "material": q.stem,
                **({"explanation": q.explanation} if q.explanation else {}),
                "tags": list(q.tags), "audience": list(q.audience), "difficulty": q.difficulty,
                "subs": [question_mapping(sub, q) for sub in q.subs]}
    data: dict[str, Any] = {"id": q.id, "type": q.type.value, "stem": q.stem}
    if q.type is QType.FILL:
        data["answer"] = [list(alternatives) for alternatives in q.blanks]
    elif q.type is QType.JUDGE:
        data["answer"] = 0 in q.answer
    else:
        data["options"] = list(q.options)
        data["answer"] = "".join(LETTERS[i] for i in sorted(q.answer))
    data["explanation"] = q.explanation
    article = q.cite.article
    data["cite"] = {"law": q.cite.law, "article": article if isinstance(article, int) else str(article)}  # 133之一
    if parent is None or q.tags != parent.tags:
        data["tags"] = list(q.tags)
    if parent is None or q.audience != parent.audience:
        data["audience"] = list(q.audience)
    if parent is None or q.difficulty != parent.difficulty:
        data["difficulty"] = q.difficulty
    return data


class _Dumper(yaml.SafeDumper):
    pass


def _flow_small(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = set(data) == {"law", "article"}
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _flow_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(v, str) and len(v) < 20 for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _flow_small)
_Dumper.add_representer(list, _flow_list)


def dump_questions(questions: list[Question]) -> str:
    body = yaml.dump({"questions": [question_mapping(q) for q in questions]}, Dumper=_Dumper,
                     allow_unicode=True, sort_keys=False, width=120)
    return HEADER + body


def write_yaml(questions: list[Question], path: Path, show_progress: bool = True) -> None:
    write_atomically(path, dump_questions(questions))


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_yaml(path: Path, shown: str | None = None, show_progress: bool = True) -> tuple[list[Record], list[ImportProblem]]:
    shown = shown or path.name
    try:
        data = load_yaml(path)
    except SourceError as exc:
        return [], [ImportProblem(shown, exc.reason, row=exc.line, unit="line")]
    items = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        return [], [ImportProblem(shown, "expected a mapping with a non-empty 'questions:' list")]
    columns = {f: f for f in ("id", "type", "stem", "options", "answer", "explanation", "cite", "tags",
                              "audience", "difficulty", "material", "subs")}
    return [Record(file=shown, row=line_of(raw), raw=raw, columns=columns, unit="line") for raw in items], []


def _plain(q: Question) -> Question:
    """A question without where it was read from (its sub-questions' places too)."""
    return replace(q, origin="", subs=tuple(replace(s, origin="") for s in q.subs))


def merge(existing: list[Question], incoming: list[Question]) -> tuple[list[Question], int, int]:
    """Existing bank file + imported questions -> (merged list, added, updated); order is kept."""
    by_id = {q.id: i for i, q in enumerate(existing)}
    merged = list(existing)
    added = updated = 0
    for q in incoming:
        if q.id in by_id:
            if _plain(merged[by_id[q.id]]) != _plain(q):
                updated += 1
            merged[by_id[q.id]] = q
        else:
            by_id[q.id] = len(merged)
            merged.append(q)
            added += 1
    return merged, added, updated
