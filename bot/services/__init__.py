"""Use cases: one module per area (stats, roster, bank, exams, notices, gaps, accounts, audit).
Typed commands in, typed results out, rights checked here. Chat flows (bot/app), the command line
and the web console (bot/web) only parse input and render results; no rule lives in them."""
