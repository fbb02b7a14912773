"""Use cases: one module per area (stats, roster, bank, exams, notices, gaps, accounts, audit).
Typed commands in, typed results out, rights checked here. Chat flows (bot/app), the command line
and the web console (bot/web) only parse input and render results; no rule lives in them.
Beside them, what the use cases and the chat share: the organisation (org: units, admin roles,
study credit), 学时 (study_hours), the statistics report and its files (stats_report,
stats_files), who proactive messages reach (audience, org_audience) and the fair-exam flags in
words (flag_words). Nothing here imports bot.app (tests/test_import_graph.py)."""
