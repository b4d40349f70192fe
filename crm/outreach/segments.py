"""Saved segments: their conditions checked for the person using them, their count, their
contacts page by page and as CSV. A segment is evaluated afresh each time it is used."""

from collections.abc import Iterator

from sqlalchemy import func, select, text

from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.extensions import db
from crm.outreach import condition_kinds, giving_kinds  # noqa: F401  (fill the catalogue)
from crm.outreach.conditions import ConditionError, Tree, read_tree
from crm.outreach.models import Segment

CSV_COLUMNS = ("id", "first_name", "last_name", "email", "phone", "city", "region", "postcode",
               "email_opt_in", "do_not_contact")  # fmt: skip


class SegmentError(ValueError):
    """A segment that cannot be saved or used; the message is for people."""


def sees_money(user) -> bool:
    return user.has_role(Role.FUNDRAISER)


def visible(user):
    """SELECT the segments this user may see: coordinators never see those about money."""
    query = select(Segment).order_by(Segment.name, Segment.id)
    return query if sees_money(user) else query.where(Segment.uses_money.is_(False))


def may_use(segment: Segment, user) -> bool:
    return sees_money(user) or not segment.uses_money


def tree_of(segment: Segment, user) -> Tree:
    """The segment's conditions, checked again now (a tag or an event may have gone)."""
    try:
        return read_tree(segment.conditions, sees_money(user))
    except ConditionError as exc:
        raise SegmentError(f"“{segment.name}” cannot be used as it is: {exc}") from exc


def plain_plans(session=None) -> None:
    """PostgreSQL's JIT compiler is drawn in by the planner's (pessimistic) estimates for a
    segment's subqueries, then spends longer compiling than the query takes: half a second
    or more at 100,000 contacts. Off for the rest of this transaction."""
    session = session or db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def count(tree: Tree) -> int:
    plain_plans()
    return db.session.scalar(select(func.count()).select_from(Contact).where(tree.sql()))


def members(tree: Tree):
    """SELECT the tree's contacts in name order."""
    return select(Contact).where(tree.sql()).order_by(Contact.last_name, Contact.first_name,
                                                      Contact.id)  # fmt: skip


def save(segment: Segment | None, name: str, description: str | None, data: dict, user) -> Segment:
    """Create or update a segment from checked conditions; raises SegmentError."""
    try:
        tree = read_tree(data, sees_money(user))
    except ConditionError as exc:
        raise SegmentError(str(exc)) from exc
    if tree.empty:
        raise SegmentError("Add at least one condition.")
    if segment is None:
        segment = Segment(created_by_id=user.id)
        db.session.add(segment)
    elif not may_use(segment, user):
        raise SegmentError("This segment is about giving; your role cannot change it.")
    segment.name, segment.description = name, description or None
    segment.conditions = data
    segment.uses_money = tree.money
    db.session.flush()
    return segment


def export_rows(tree: Tree) -> Iterator[list]:
    columns = [getattr(Contact, name) for name in CSV_COLUMNS]
    plain_plans()
    query = members(tree).with_only_columns(*columns).execution_options(yield_per=2000)
    for row in db.session.connection().execute(query):
        yield list(row)
