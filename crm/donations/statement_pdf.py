"""The year-end statement as PDF: each gift's net amount (what the donor gave less what went
back) and deductible amount, and which receipts were corrected or voided since they went out."""

from dataclasses import dataclass, field

from crm.contacts.models import Contact
from crm.donations.models import Donation
from crm.donations.receipt_pdf import Document, donor_lines, font_dir, money_text


@dataclass
class StatementLine:
    donation: Donation
    receipt_number: str
    date: str
    fund: str
    # "corrects 2026-000012" or "voids 2026-000012": the receipts this one took the place of.
    correction: str = ""

    @property
    def net_cents(self) -> int:
        return self.donation.amount_cents - self.donation.refunded_cents


@dataclass
class StatementTotals:
    currency: str
    amount_cents: int = 0
    refunded_cents: int = 0
    benefit_cents: int = 0
    deductible_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.refunded_cents


@dataclass
class StatementData:
    """Every gift a donor made in a year (organisation time zone), with totals per currency."""

    contact: Contact
    year: int
    lines: list[StatementLine] = field(default_factory=list)
    totals: dict[str, StatementTotals] = field(default_factory=dict)

    @property
    def corrections(self) -> list[StatementLine]:
        return [line for line in self.lines if line.correction]


def statement_pdf(data: StatementData, unicode_font: bool = True) -> bytes:
    pdf = Document(f"Year-end giving statement {data.year}", font_dir(unicode_font))
    pdf.pairs([("Donor", donor_lines(data.contact)), ("Tax year", str(data.year))])
    pdf.ln(4)
    rows = []
    for line in data.lines:
        d, currency = line.donation, line.donation.currency
        rows.append([
            line.date, line.receipt_number, line.fund, money_text(d.amount_cents, currency),
            money_text(d.refunded_cents, currency) if d.refunded_cents else "",
            money_text(line.net_cents, currency), money_text(d.deductible_cents, currency),
        ])  # fmt: skip
    for t in data.totals.values():
        rows.append([
            f"Total ({t.currency})", "", "", money_text(t.amount_cents, t.currency),
            money_text(t.refunded_cents, t.currency), money_text(t.net_cents, t.currency),
            money_text(t.deductible_cents, t.currency),
        ])  # fmt: skip
    header = ["Date", "Receipt", "Fund", "Given", "Returned", "Net", "Deductible"]
    pdf.table(header, rows, widths=[24, 26, 36, 22, 22, 22, 24], totals=len(data.totals))
    for line in data.corrections:
        pdf.note(f"Receipt {line.receipt_number} {line.correction}: money went back after the "
                 "first receipt was issued, so use the newer one.")  # fmt: skip
    if any(t.benefit_cents for t in data.totals.values()):
        pdf.note(
            "Where you received goods or services in exchange for a gift, their fair market "
            "value has been subtracted from the deductible amount."
        )
    else:
        pdf.note("No goods or services were provided in exchange for these gifts.")
    pdf.note(
        "Returned amounts (refunds, and payments your bank took back) are not deductible and "
        "are already subtracted above. Please keep this statement for your tax records. Thank "
        "you for standing with us this year."
    )
    return bytes(pdf.output())
