"""Pure domain rules: standard library only (plus the fsrs scheduler in review.py)."""
