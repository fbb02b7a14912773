"""Chinese numerals in article numbers (第一千二百五十四条 <-> 1254)."""

from __future__ import annotations

import re
from functools import lru_cache

_CN_DIGITS = "零〇一二三四五六七八九十百千万两"
ARTICLE_RE = re.compile(r"^第([零〇一二三四五六七八九十百千]+)条\s")
_REF_RE = re.compile(r"第?\s*([0-9０-９]+|[零〇一二三四五六七八九十百千万两]+)\s*条?")


@lru_cache(maxsize=8192)  # pure; bank imports parse the same few thousand article numbers
def cn_to_int(text: str) -> int | None:
    """Parse '一千二百五十四', '1254' or '１２５４'; None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        try:
            return int(text)
        except ValueError:
            return None
    if any(ch not in _CN_DIGITS for ch in text):
        return None
    import cn2an  # lazy: it takes ~0.1 s to import

    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return int(value) if float(value).is_integer() and value > 0 else None


def int_to_cn(number: int) -> str:
    import cn2an

    return cn2an.an2cn(number)


def article_label(number: int) -> str:
    return f"第{int_to_cn(number)}条"


def parse_article_ref(text: str) -> int | None:
    """'第三十三条', '33', '第33条', '三十三' -> 33."""
    match = _REF_RE.fullmatch(text.strip())
    if not match:
        return None
    return cn_to_int(match.group(1))
