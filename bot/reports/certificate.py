"""The pass certificate as a one-page A4 landscape PDF (fpdf2), with Noto Sans SC embedded as a
subset (from pylopdf-fonts-zh-cn, see fonts.py) and a QR code (qrcode) of the verification URL.
CPU-bound: call it with asyncio.to_thread from the event loop."""

from __future__ import annotations

import io
from dataclasses import dataclass

from bot.reports.fonts import cjk_font_path

FONT = "notosanssc"
INK = (33, 37, 41)
RED = (176, 32, 32)
GOLD = (184, 140, 60)
GREY = (110, 110, 110)


@dataclass(frozen=True, slots=True)
class CertificateView:
    """Everything printed on the certificate, already in the reader's language."""

    heading: str  # 合格证书
    body: str  # the sentence naming the person, the exam and the result
    rows: list[tuple[str, str]]  # label, value: 姓名, 单位, 考试, 成绩, 日期
    serial_label: str
    serial: str
    qr_caption: str  # 扫码核验
    verify_url: str | None  # None: no public URL configured, the QR code is left out
    issuer: str
    footer: str  # how to verify without the QR code


def _qr_png(data: str) -> bytes:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(data)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


def render_certificate(view: CertificateView) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{view.heading} {view.serial}")
    pdf.set_creator("lawbot")
    pdf.add_font(FONT, fname=str(cjk_font_path()))
    pdf.add_page()
    w, h = pdf.w, pdf.h  # 297 x 210

    # double border
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(1.6)
    pdf.rect(10, 10, w - 20, h - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, w - 28, h - 28)

    pdf.set_text_color(*RED)
    pdf.set_font(FONT, size=34)
    pdf.set_xy(14, 30)
    pdf.cell(w - 28, 16, view.heading, align="C")

    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=14)
    pdf.set_xy(40, 58)
    pdf.multi_cell(w - 80, 8, view.body, align="C")

    # the facts, as a two-column table on the left
    top = 84
    pdf.set_font(FONT, size=13)
    for i, (label, value) in enumerate(view.rows):
        y = top + i * 12
        pdf.set_text_color(*GREY)
        pdf.set_xy(48, y)
        pdf.cell(30, 9, label)
        pdf.set_text_color(*INK)
        pdf.set_xy(80, y)
        pdf.cell(130, 9, value)
        pdf.set_draw_color(220, 220, 220)
        pdf.set_line_width(0.2)
        pdf.line(48, y + 10, 205, y + 10)

    if view.verify_url:
        size = 46
        x, y = w - 40 - size, top - 2
        pdf.image(io.BytesIO(_qr_png(view.verify_url)), x=x, y=y, w=size, h=size)
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*GREY)
        pdf.set_xy(x - 10, y + size + 1)
        pdf.cell(size + 20, 6, view.qr_caption, align="C")

    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=12)
    pdf.set_xy(48, h - 52)
    pdf.cell(0, 8, f"{view.serial_label}{view.serial}")
    pdf.set_xy(w - 130, h - 52)
    pdf.cell(90, 8, view.issuer, align="R")

    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*GREY)
    pdf.set_xy(20, h - 32)
    pdf.multi_cell(w - 40, 5, view.footer, align="C")
    return bytes(pdf.output())
