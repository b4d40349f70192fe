"""Counting the SQL statements a request sends, and loading many gifts fast."""

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, insert

from crm.donations.models import Donation, DonationStatus, PaymentMethod
from crm.extensions import db
from crm.modelbase import utcnow


@contextmanager
def statements():
    """Collect the statements sent to the database meanwhile (the app's engine)."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def load_gifts(contact_id: int, n: int, amount_cents: int = 2500, days: int = 700) -> None:
    """n gifts spread over the past days, inserted in one statement (no flush events)."""
    now = utcnow()
    rows = [
        {"contact_id": contact_id, "amount_cents": amount_cents, "currency": "USD",
         "status": DonationStatus.SUCCEEDED, "method": PaymentMethod.CASH,
         "received_at": now - timedelta(days=days * i / n, minutes=5), "covered_fee_cents": 0,
         "refunded_cents": 0, "benefit_cents": 0, "anonymous": False, "disputed": False,
         "created_at": now, "updated_at": now}
        for i in range(n)
    ]  # fmt: skip
    db.session.execute(insert(Donation), rows)
    db.session.commit()
