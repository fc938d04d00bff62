"""The PDF voucher ("bon de transaction") of one wallet transaction: what, when, how much, under
which reference, for which organisation, and that it is NOT an invoice (the invoice for the product
or service is sent periodically). The caller passes the texts already translated, so this module
only lays the page out (fpdf2, the PDF core font: no font file to ship)."""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF


@dataclass(frozen=True)
class VoucherText:
    title: str
    rows: list[tuple[str, str]]  # (label, value): date, transaction, amount, reference, organisation
    notice: str  # "This voucher is not an invoice; ..."
    issuer: str


def _latin1(text: str) -> str:
    """The core font is Latin-1: accents pass, the rest (e.g. the euro sign) is spelled out."""
    return text.replace("€", "EUR").encode("latin-1", "replace").decode("latin-1")


def render(voucher: VoucherText, *, compress: bool = True) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(_latin1(voucher.title))
    pdf.set_creator("Guichet")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(voucher.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin1(voucher.issuer), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for label, value in voucher.rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(50, 8, _latin1(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(0, 6, _latin1(voucher.notice))
    return bytes(pdf.output())
