"""The duplicate finder: contacts sharing a normalised email or phone, or with similar names
at the same postcode, become pairs in a review queue; staff merge them with the contacts
merge or dismiss them."""

from difflib import SequenceMatcher
from itertools import combinations, groupby

from sqlalchemy import func, select

from crm.contacts.models import Contact
from crm.contacts.normalise import fold
from crm.dataio.contact_import import PLACEHOLDER_NAMES
from crm.dataio.models import DuplicatePair
from crm.extensions import db

MAX_GROUP = 25  # a shared office phone is not 300 duplicates


def similar_names(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Same last name and first names that match, start one another (Rob, Robert) or are
    close (Jon, John); or whole names nearly the same (typos)."""
    first_a, last_a = fold(a[0]), fold(a[1])
    first_b, last_b = fold(b[0]), fold(b[1])
    whole = SequenceMatcher(None, f"{first_a} {last_a}", f"{first_b} {last_b}").ratio()
    if last_a == last_b and first_a and first_b:
        if first_a.startswith(first_b) or first_b.startswith(first_a):
            return True
        if SequenceMatcher(None, first_a, first_b).ratio() >= 0.75:
            return True
    return whole >= 0.9


def _groups(column):
    shared = select(column).where(column.is_not(None)).group_by(column).having(func.count() > 1)
    query = (
        select(column, Contact.id, Contact.first_name, Contact.last_name)
        .where(column.in_(shared))
        .order_by(column, Contact.id)
    )
    rows = db.session.execute(query).yield_per(2000)
    for _, members in groupby(rows, key=lambda r: r[0]):
        yield list(members)[:MAX_GROUP]


def candidate_pairs():
    for reason, column in (("email", Contact.email_key), ("phone", Contact.phone)):
        for group in _groups(column):
            for a, b in combinations(group, 2):
                yield a[1], b[1], reason
    for group in _groups(Contact.postcode_key):
        # "Unknown Contact" is no name: two people an email list gave no name are not alike
        named = [m for m in group if (m[2], m[3]) not in PLACEHOLDER_NAMES]
        for a, b in combinations(named, 2):
            if similar_names((a[2], a[3]), (b[2], b[3])):
                yield a[1], b[1], "name and postcode"


def scan() -> int:
    """Add the pairs not yet in the queue (dismissed ones stay dismissed)."""
    known = set(
        db.session.execute(select(DuplicatePair.first_id, DuplicatePair.second_id)).tuples()
    )
    added = 0
    for first, second, reason in candidate_pairs():
        key = (min(first, second), max(first, second))
        if key not in known:
            known.add(key)
            db.session.add(DuplicatePair(first_id=key[0], second_id=key[1], reason=reason))
            added += 1
    db.session.flush()
    return added
