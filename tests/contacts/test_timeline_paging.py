"""The timeline a page at a time: every entry once, in order, across sources whose entries
share a moment; filtered by kind; a cursor from elsewhere is ignored; older sources that
yield everything at once still work."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from crm.contacts import timeline
from crm.contacts.models import Note
from crm.contacts.timeline import Cursor, TimelineEntry, timeline_page
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def test_pages_keep_every_entry_once_when_moments_are_shared(db, make_contact, make_user):
    contact = make_contact()
    author = make_user()
    moment = utcnow().replace(microsecond=0)
    rows = [{"contact_id": contact.id, "author_id": author.id, "body": f"note {i}",
             "created_at": moment - timedelta(seconds=i // 3)} for i in range(20)]  # fmt: skip
    db.session.execute(insert(Note), rows)
    db.session.commit()
    seen, cursor = [], None
    while True:
        page = timeline_page(contact, "notes", cursor, limit=4)
        seen += [e.body for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor.encode())
    assert sorted(seen) == sorted(f"note {i}" for i in range(20)) and len(seen) == 20
    whens = [moment - timedelta(seconds=int(b.split()[1]) // 3) for b in seen]
    assert whens == sorted(whens, reverse=True)


def test_a_cursor_that_is_not_ours_is_ignored(db, client, make_contact, make_user):
    contact = make_contact()
    client.login_as(make_user("fundraiser"))
    for junk in ("abc", "%%%", "x" * 500, Cursor(utcnow(), "notes", 1).encode()[:-3]):
        assert client.get(f"/contacts/{contact.id}?before={junk}&kind=nope").status_code == 200
    assert Cursor.decode("MjAyNi0wMS0wMXxub3Rlc3wx") is None  # a moment without its zone


def test_an_older_source_still_fills_the_timeline(db, make_contact, monkeypatch):
    contact = make_contact()
    later = utcnow() + timedelta(days=1)

    def legacy(person):
        yield TimelineEntry(when=later, kind="note", title="From an older source")

    monkeypatch.setattr(timeline, "_sources", [legacy])
    page = timeline_page(contact)
    assert page.entries[0].title == "From an older source"
    assert timeline_page(contact, "notes").entries == []  # it belongs to no filter
