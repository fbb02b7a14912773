"""Benchmark: import (parse + validate) and export of a generated 50,000-question bank, as xlsx
and CSV. Prints seconds and peak RSS per run and the median of 3. Each run is a fresh process,
so ru_maxrss is that run's own peak. CPU is the process's own CPU time: on a shared, loaded
machine it is the steadier figure (wall time is the target's measure).

    python bench/bank_io.py [--rows 50000] [--runs 3]

Target (issue 3): import of 50,000 xlsx rows < 20 s with peak RSS < 500 MB on a 2-core machine.
Citations are valid articles of the shipped laws; stems are random CJK characters so that the
near-duplicate check (which does run) finds nothing, as in a clean bank. Real stems share common
bigrams (下列, 根据, 规定), which makes that check slower than here: see the report.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"


def generate(rows: int, seed: int = 7):
    from bot.catalog.laws import LawLibrary
    from bot.domain.models import Citation, QType, Question

    laws = LawLibrary.load(ROOT / "content" / "laws")
    rng = random.Random(seed)
    articles = [(name, n) for name, law in laws.laws.items() for n in law.articles]
    questions = []
    for i in range(rows):
        law, number = rng.choice(articles)
        kind = (QType.JUDGE, QType.SINGLE, QType.MULTIPLE)[i % 3]
        stem = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(28)) + "？"
        options = () if kind is QType.JUDGE else tuple(f"选项{j}{''.join(rng.choice(COMMON) for _ in range(6))}"
                                                       for j in range(4))
        answer = {QType.JUDGE: frozenset({i % 2}), QType.SINGLE: frozenset({i % 4}),
                  QType.MULTIPLE: frozenset({0, 2})}[kind]
        questions.append(Question(id=f"bench-{i:06d}", type=kind, stem=stem, options=options, answer=answer,
                                  explanation=f"依据《{law}》第{number}条作答。", cite=Citation(law, number),
                                  tags=(law, "基准"), audience=("resident",), difficulty=1 + i % 5))
    return questions, laws


def child(task: str, fmt: str, path: Path, rows: int) -> None:
    from bot.catalog.bank_io import export_questions, read_questions

    if task == "export":
        questions, _ = generate(rows)
        start, cpu = time.perf_counter(), time.process_time()
        export_questions(questions, path, fmt, show_progress=False)
        seconds, count = time.perf_counter() - start, len(questions)
    else:
        from bot.catalog.laws import LawLibrary

        laws = LawLibrary.load(ROOT / "content" / "laws")
        start, cpu = time.perf_counter(), time.process_time()
        result = read_questions(path, laws, fmt=fmt, show_progress=False)
        seconds, count = time.perf_counter() - start, len(result.questions)
        assert not result.problems, result.problems[:3]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": time.process_time() - cpu, "peak_mb": peak_mb, "count": count}))


def run(task: str, fmt: str, path: Path, rows: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", task, fmt, str(path), "--rows", str(rows)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]), args.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{args.rows} questions, median of {args.runs} runs (each a fresh process)")
        for fmt in ("xlsx", "csv"):
            path = Path(tmp) / f"bank.{fmt}"
            for task in ("export", "import"):
                results = [run(task, fmt, path, args.rows) for _ in range(args.runs)]
                seconds = statistics.median(r["seconds"] for r in results)
                cpu = statistics.median(r["cpu"] for r in results)
                peak = statistics.median(r["peak_mb"] for r in results)
                runs = ", ".join(f"{r['seconds']:.2f}" for r in results)
                print(f"{task:6} {fmt:4}: {seconds:6.2f} s (CPU {cpu:6.2f} s)  peak RSS {peak:6.0f} MB  "
                      f"({results[0]['count']} questions; runs: {runs} s)", flush=True)


if __name__ == "__main__":
    main()
