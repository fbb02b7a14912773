"""A CJK font for charts, from a PyPI package (pylopdf-fonts-zh-cn ships Noto Sans SC under the
SIL OFL), never from the system, so Chinese labels render the same on every machine."""

from __future__ import annotations

import threading
from pathlib import Path

_lock = threading.Lock()
_family: str | None = None


def cjk_font_path() -> Path:
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


def use_cjk_font() -> str:
    """Register the font with matplotlib once and make it the default family; its name."""
    global _family
    with _lock:
        if _family is None:
            import matplotlib

            matplotlib.use("Agg", force=False)
            from matplotlib import font_manager, rcParams

            path = cjk_font_path()
            font_manager.fontManager.addfont(str(path))
            _family = font_manager.FontProperties(fname=str(path)).get_name()
            rcParams["font.family"] = "sans-serif"
            rcParams["font.sans-serif"] = [_family, "DejaVu Sans"]
            rcParams["axes.unicode_minus"] = False
        return _family
