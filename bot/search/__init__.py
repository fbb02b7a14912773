"""Search shared by the lookup (guides, cases, articles) and law keyword search.

text.py normalises and tokenises Chinese (OpenCC, jieba, pypinyin); bm25.py ranks documents
with field weights (BM25F); lawref.py parses article references; lookup.py builds the indexes
from the catalog and answers queries with a confidence verdict.
"""
