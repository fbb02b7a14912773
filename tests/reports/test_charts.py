"""Charts render as PNG, and Chinese labels render as glyphs, not empty boxes: the same title
drawn with the packaged CJK font differs from one drawn with a font that lacks CJK (DejaVu
Sans draws every missing glyph as the same box) and matplotlib reports no missing glyphs."""

from __future__ import annotations

import io
import warnings

from bot.reports import charts
from bot.reports.fonts import cjk_font_path, use_cjk_font

PNG = b"\x89PNG\r\n\x1a\n"


def _title_pixels(text: str, family: str):
    import numpy as np
    from matplotlib import pyplot as plt

    fig = plt.figure(figsize=(3, 0.6), dpi=80)
    fig.text(0.02, 0.3, text, fontfamily=family, fontsize=20)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    buffer.seek(0)
    return np.asarray(plt.imread(buffer))


def test_font_comes_from_the_package_not_the_system():
    path = cjk_font_path()
    assert "site-packages" in str(path) or "dist-packages" in str(path)
    assert use_cjk_font() == "Noto Sans SC"


def test_chinese_glyphs_render():
    import numpy as np

    family = use_cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cjk_a, cjk_b = _title_pixels("参学率", family), _title_pixels("通过率", family)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        box_a, box_b = _title_pixels("参学率", "DejaVu Sans"), _title_pixels("通过率", "DejaVu Sans")
    assert any("missing from font" in str(w.message) for w in caught)
    # without CJK both words are the same row of boxes; with it they are different glyphs
    assert np.abs(box_a - box_b).sum() == 0
    assert np.abs(cjk_a - cjk_b).sum() > 50
    assert np.abs(cjk_a - box_a).sum() > 50


def test_the_three_charts_are_pngs():
    bar = charts.rates_by_unit(["示例市司法局", "示例市西县"], {"参学率": [0.5, None], "参考率": [0.25, None]}, "标题")
    hist = charts.score_histogram([55, 60, 72.5, 90, 100], 100, 60, "成绩分布", "分数", "人数", "及格线")
    line = charts.rates_over_time(["2026-01-01", "2026-01-02"], {"参学率": [0.3, 0.4]}, "趋势")
    for data in (bar, hist, line):
        assert data.startswith(PNG) and len(data) > 5_000
