"""Receipt and statement PDFs: for donors through signed links, for staff by record id."""

from flask import Response, abort, request

from crm.auth.access import public, role_required
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.donations import bp
from crm.donations.models import Donation
from crm.donations.receipt_pdf import receipt_pdf
from crm.donations.receipts import receipt_from_token
from crm.donations.statement_pdf import statement_pdf
from crm.donations.statements import gather, statement_from_token
from crm.extensions import db


def pdf_response(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/receipts/<token>.pdf")
@public
def receipt_pdf_public(token: str):
    receipt = receipt_from_token(token)
    if receipt is None:
        abort(404)
    return pdf_response(receipt_pdf(receipt), f"receipt-{receipt.number}.pdf")


@bp.get("/receipts/statements/<token>.pdf")
@public
def statement_pdf_public(token: str):
    statement = statement_from_token(token)
    if statement is None:
        abort(404)
    data = gather(statement.contact, statement.year)
    return pdf_response(statement_pdf(data), f"statement-{statement.year}.pdf")


@bp.get("/donations/<int:donation_id>/receipt.pdf")
@role_required(Role.FUNDRAISER)
def receipt_pdf_staff(donation_id: int):
    """The gift's receipt in force; `?number=` any earlier one of the same gift."""
    donation = db.get_or_404(Donation, donation_id)
    number = request.args.get("number")
    receipt = (
        next((r for r in donation.receipts if r.number == number), None)
        if number
        else (donation.receipt)
    )
    if receipt is None:
        abort(404)
    return pdf_response(receipt_pdf(receipt), f"receipt-{receipt.number}.pdf")


@bp.get("/contacts/<int:contact_id>/statement-<int:year>.pdf")
@role_required(Role.FUNDRAISER)
def statement_pdf_staff(contact_id: int, year: int):
    """The donor's statement as it stands today, whether or not it has been emailed."""
    contact = db.get_or_404(Contact, contact_id)
    data = gather(contact, year)
    if not data.lines:
        abort(404)
    return pdf_response(statement_pdf(data), f"statement-{year}-{contact.id}.pdf")
