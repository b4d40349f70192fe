"""Receipts and year-end statements as PDF, drawn with fpdf2.

DejaVu Sans is used when the system has it (most Linux machines), so any European name prints
as typed. Without it the PDF falls back to the core Helvetica font in Windows-1252, which
covers "José Núñez" and the euro sign; any other character is transliterated ("Łódź" ->
"Lodz") or shown as "?", so a receipt is always produced.
"""

import unicodedata
from pathlib import Path

from flask import current_app
from fpdf import FPDF

from crm.contacts.models import Contact
from crm.donations.models import Donation, PaymentMethod, Receipt, ReceiptKind, ReceiptStatus
from crm.donations.organisation import org_context
from crm.formats import format_date
from crm.payments.money import format_money

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
CORE_ENCODING = "windows-1252"
# Letters that Unicode does not decompose into a base letter and an accent.
TRANSLITERATE = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t"}
)


def unicode_font_dir() -> Path | None:
    ok = all((FONT_DIR / name).is_file() for name in FONT_FILES.values())
    return FONT_DIR if ok else None


def core_safe(text: str) -> str:
    """`text` limited to what Helvetica can show in Windows-1252."""
    out = []
    for char in text.translate(TRANSLITERATE):
        try:
            char.encode(CORE_ENCODING)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in base if not unicodedata.combining(c))
            char = base if base and base.isascii() else "?"
        out.append(char)
    return "".join(out)


class Document(FPDF):
    """A Letter page with the organisation's letterhead and a font that suits the text."""

    def __init__(self, title: str, font_dir: Path | None = None):
        super().__init__(format="Letter", unit="mm")
        self.font_dir = font_dir
        if font_dir is not None:
            for style, name in FONT_FILES.items():
                self.add_font("DejaVu", style, str(font_dir / name))
            self.family = "DejaVu"
        else:
            self.core_fonts_encoding = CORE_ENCODING
            self.family = "Helvetica"
        config = current_app.config
        self.set_title(self.safe(title))
        self.set_author(self.safe(org_context()["legal_name"]))
        self.set_creator(self.safe(config["ORG_NAME"]))
        self.set_auto_page_break(True, margin=20)
        self.set_margins(20, 18, 20)
        self.add_page()
        self.letterhead(config)
        self.heading(title)

    def safe(self, text) -> str:
        text = str(text)
        if self.font_dir is None:
            return core_safe(text)
        cmap = self.fonts["dejavu"].cmap
        return "".join(c if ord(c) in cmap or c in "\n\t" else "?" for c in text)

    def font(self, size: float = 10, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def line_text(self, text: str, size: float = 10, bold: bool = False, h: float = 5) -> None:
        self.font(size, bold)
        self.multi_cell(0, h, self.safe(text), new_x="LMARGIN", new_y="NEXT")

    def letterhead(self, config) -> None:
        facts = org_context()  # stand-in values are left out
        self.line_text(facts["legal_name"], size=15, bold=True, h=7)
        if facts["address"]:
            self.line_text(facts["address"], size=9, h=4.5)
        if facts["tax_id"]:
            self.line_text(f"Tax ID: {facts['tax_id']}", size=9, h=4.5)
        self.ln(4)
        self.set_draw_color(75, 29, 110)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(5)

    def heading(self, title: str) -> None:
        self.line_text(title, size=13, bold=True, h=7)
        self.ln(2)

    def pairs(self, rows: list[tuple[str, str]], bold_labels: tuple[str, ...] = ()) -> None:
        for label, value in rows:
            self.font(10, bold=True)
            self.cell(62, 6, self.safe(label))
            self.font(10, bold=label in bold_labels)
            self.multi_cell(0, 6, self.safe(value), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], totals: int):
        """Columns after the third are amounts, right-aligned; the last `totals` rows are bold.
        The header is repeated on each new page."""
        aligns = ["L", "L", "L"] + ["R"] * (len(header) - 3)
        self.table_row(header, widths, aligns, header=True)
        for index, row in enumerate(rows):
            if self.get_y() + 6 > self.page_break_trigger:
                self.add_page()
                self.table_row(header, widths, aligns, header=True)
            self.table_row(row, widths, aligns, total=index >= len(rows) - totals)

    def table_row(self, row, widths, aligns, header: bool = False, total: bool = False) -> None:
        self.font(9, bold=header or total)
        self.set_fill_color(238, 232, 244)
        border = "B" if header else "T" if total else 0
        for text, width, align in zip(row, widths, aligns, strict=True):
            self.cell(width, 6.5 if header else 6, self.fit(text, width - 2), border=border,
                      align=align, fill=header)  # fmt: skip
        self.ln()

    def fit(self, text: str, width: float) -> str:
        """`text` shortened with "..." to fit a table cell (a long fund name, say)."""
        text = self.safe(text)
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text.rstrip() + "..."

    def note(self, text: str) -> None:
        self.ln(4)
        self.line_text(text, size=9, h=4.5)


def donor_lines(contact: Contact) -> str:
    return "\n".join([contact.full_name, *contact.address_lines])


def money_text(cents: int, currency: str) -> str:
    return format_money(cents, currency)


def method_label(donation: Donation) -> str:
    label = PaymentMethod(donation.method).label  # a gift not yet reloaded holds the string
    if donation.method == PaymentMethod.CHEQUE and donation.cheque_number:
        label += f" no. {donation.cheque_number}"
    if donation.method == PaymentMethod.IN_KIND and donation.in_kind_description:
        label += f": {donation.in_kind_description}"
    return label


def benefit_statement(benefit_cents: int, currency: str) -> str:
    if benefit_cents:
        return (
            f"In exchange for this gift the donor received goods or services with a fair market "
            f"value of {money_text(benefit_cents, currency)}; only the amount above that value is "
            "tax-deductible."
        )
    return "No goods or services were provided in exchange for this gift."


def receipt_pdf(receipt: Receipt, unicode_font: bool = True) -> bytes:
    """A receipt, corrected receipt or void notice exactly as issued: its own figures and
    the donor and gift as they stood then. A later correction only adds a line saying so."""
    from crm.donations.receipts import printed

    facts = printed(receipt)
    pdf = Document(_title(receipt), font_dir(unicode_font))
    if receipt.status != ReceiptStatus.CURRENT and receipt.superseded_at:
        successor = next(
            (r for r in receipt.donation.receipts if r.replaces_id == receipt.id), None
        )
        verb = "void" if receipt.status == ReceiptStatus.VOID else "replaced"
        by = f" by {successor.number}" if successor else ""
        pdf.line_text(
            f"This receipt was {verb}{by} on {format_date(receipt.superseded_at, 'long')}.",
            bold=True,
        )
        pdf.ln(2)
    pdf.pairs(_receipt_rows(receipt, facts), bold_labels=("Tax-deductible amount",))
    for text in _receipt_notes(receipt, facts):
        pdf.note(text)
    return bytes(pdf.output())


def _title(receipt: Receipt) -> str:
    return {
        ReceiptKind.ORIGINAL: f"Donation receipt {receipt.number}",
        ReceiptKind.CORRECTED: f"Corrected donation receipt {receipt.number}",
        ReceiptKind.VOID_NOTICE: f"Void notice {receipt.number}",
    }[receipt.kind]


def _receipt_rows(receipt: Receipt, facts: dict) -> list[tuple[str, str]]:
    currency = receipt.currency
    donation = receipt.donation
    charged_back = facts.get("charged_back_cents") or 0
    rows = [("Receipt number", receipt.number)]
    if receipt.replaces is not None:
        verb = "Cancels receipt" if receipt.kind == ReceiptKind.VOID_NOTICE else "Replaces receipt"
        rows.append((verb, receipt.replaces.number))
    rows += [
        ("Date of gift", format_date(donation.received_at, "long")),
        ("Date issued", format_date(receipt.issued_at, "long")),
        ("Donor", "\n".join(facts["donor_lines"])),
        ("Amount received", money_text(receipt.amount_cents, currency)),
    ]
    if receipt.benefit_cents:
        rows.append(("Value of benefits received", money_text(receipt.benefit_cents, currency)))
    if receipt.refunded_cents > charged_back:
        rows.append(
            ("Refunded to the donor", money_text(receipt.refunded_cents - charged_back, currency))
        )
    if charged_back:
        rows.append(("Charged back (dispute lost)", money_text(charged_back, currency)))
    rows += [
        ("Tax-deductible amount", money_text(receipt.deductible_cents, currency)),
        ("Fund", facts["fund"]),
        ("Method", facts["method"]),
    ]
    if facts.get("campaign"):
        rows.append(("Campaign", facts["campaign"]))
    return rows


def _receipt_notes(receipt: Receipt, facts: dict) -> list[str]:
    replaced = receipt.replaces.number if receipt.replaces else ""
    if receipt.kind == ReceiptKind.VOID_NOTICE:
        return [
            f"All of this gift went back to the donor, so receipt {replaced} is void and "
            "nothing is tax-deductible. Please do not use it for your tax records."
        ]
    notes = [benefit_statement(receipt.benefit_cents, receipt.currency)]
    if receipt.kind == ReceiptKind.CORRECTED:
        notes.append(
            f"Part of this gift went back to the donor after receipt {replaced} was issued. "
            f"This receipt replaces it: use this one for your tax records."
        )
    elif receipt.refunded_cents:
        notes.append(
            "Part of this gift went back to the donor before this receipt was issued; the "
            "tax-deductible amount above already takes that into account."
        )
    notes.append("Please keep this receipt for your tax records. Thank you for your generosity.")
    return notes


def font_dir(unicode_font: bool) -> Path | None:
    """DejaVu when asked for and installed; None means the core-font fallback."""
    return unicode_font_dir() if unicode_font else None
