"""near_duplicates (prefix-filtered) finds exactly the pairs of the plain inverted-index search it
replaced, with the same similarity values, on the shipped bank and on a synthetic set full of
near-duplicates of every length."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from bot.catalog.catalog import load_catalog
from bot.catalog.check import NEAR_DUPLICATE, _bigrams, near_duplicates

REPO = Path(__file__).resolve().parents[2]


def reference(questions, threshold=NEAR_DUPLICATE):
    """The previous implementation: every bigram of every stem indexed, all sharers verified."""
    grams = [(q, _bigrams(q.stem)) for q in questions]
    index: dict[str, list[int]] = {}
    pairs = []
    for i, (q, g) in enumerate(grams):
        candidates: dict[int, int] = {}
        for gram in g:
            for j in index.get(gram, ()):
                candidates[j] = candidates.get(j, 0) + 1
        for j, shared in candidates.items():
            other, og = grams[j]
            similarity = shared / len(g | og)
            if similarity >= threshold:
                pairs.append((other, q, similarity))
        for gram in g:
            index.setdefault(gram, []).append(i)
    return pairs


def _ids(pairs):
    return sorted((a.id, b.id, similarity) for a, b, similarity in pairs)


@pytest.fixture(scope="module")
def bank():
    catalog, _ = load_catalog(REPO)
    return catalog.question_list


def _synthetic(bank, count=3000, seed=3):
    """Shipped stems and random ones, each also edited by one to three characters."""
    rng = random.Random(seed)
    common = "下列关于根据规定的说法正确是行政机关应当可以不得依法处罚法律人民政府"
    stems = [q.stem for q in bank]
    stems += ["".join(rng.choice(common) for _ in range(rng.randint(0, 60))) for _ in range(count // 3)]
    out = []
    for stem in stems[:count]:
        out.append(stem)
        for _ in range(rng.randint(0, 2)):
            chars = list(stem)
            for _ in range(rng.randint(1, 3)):
                spot = rng.randint(0, len(chars))
                action = rng.choice("ids")
                if action == "i" or not chars:
                    chars.insert(spot, rng.choice(common))
                elif action == "d":
                    del chars[min(spot, len(chars) - 1)]
                else:
                    chars[min(spot, len(chars) - 1)] = rng.choice(common)
            out.append("".join(chars))
    rng.shuffle(out)
    template = bank[0]
    return [replace(template, id=f"s{i}", stem=stem) for i, stem in enumerate(out)]


def test_same_pairs_as_before_on_the_shipped_bank(bank):
    assert _ids(near_duplicates(bank)) == _ids(reference(bank))


THRESHOLDS = [NEAR_DUPLICATE, 0.5, 0.75, 0.95, 1.0]


@pytest.fixture(scope="module")
def synthetic(bank):
    """The synthetic set and the reference's pairs at the lowest threshold (a higher threshold's
    pairs are those of them at or above it: the reference filters each pair on its own)."""
    questions = _synthetic(bank)
    return questions, reference(questions, min(THRESHOLDS))


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_same_pairs_as_before_on_near_duplicates(synthetic, threshold):
    questions, loosest = synthetic
    found = near_duplicates(questions, threshold)
    assert _ids(found) == _ids([pair for pair in loosest if pair[2] >= threshold])
    if threshold == NEAR_DUPLICATE:
        assert len(found) > 300  # the set really is full of near-duplicates
    positions = {q.id: i for i, q in enumerate(questions)}
    assert all(positions[a.id] < positions[b.id] for a, b, _ in found)
