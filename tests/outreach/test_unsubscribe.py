"""One-click unsubscribe (RFC 8058), the confirmation page a link scanner sees, the signed
preference page, tracked links; each change goes to the consent log. Receipts and other
transactional mail carry no unsubscribe."""

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from crm.dataio.models import ConsentMethod, ConsentRecord
from crm.extensions import db as _db
from crm.outreach import consent, results
from crm.outreach.models import EventKind, MailingEvent, Topic
from tests.outreach.test_sending import _tag_condition, _tagged, send


def _sent(make_contact, make_segment, make_mailing, make_user, mail, **contact):
    ada = _tagged(make_contact, first_name="Ada", email="ada@example.org", email_opt_in=True,
                  **contact)  # fmt: skip
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    send(mailing, user)
    (message,) = mail.to("ada@example.org")
    return ada, mailing, message


def _path(url: str) -> str:
    return urlsplit(url).path


def _one_click_url(message) -> str:
    return re.findall(r"<([^>]+)>", message["List-Unsubscribe"])[0]


def test_one_click_post_unsubscribes_without_sign_in_or_csrf_token(
    app, db, mail, make_contact, make_segment, make_mailing, make_user
):
    ada, mailing, message = _sent(make_contact, make_segment, make_mailing, make_user, mail)
    provider = app.test_client()  # no cookie, no CSRF token: what a mailbox provider sends
    response = provider.post(_path(_one_click_url(message)),
                             data={"List-Unsubscribe": "One-Click"})  # fmt: skip
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    states = consent.topic_states(ada)
    assert states[Topic.APPEALS] is False and states[Topic.NEWSLETTER] is True
    (record,) = _db.session.scalars(select(ConsentRecord).where(ConsentRecord.contact_id == ada.id))
    assert (record.topic, record.granted, record.method) == (
        "email_appeals",
        False,
        ConsentMethod.UNSUBSCRIBE_LINK,
    )
    assert "One-click unsubscribe" in record.note and mailing.subject in record.note
    assert results.figures([mailing.id])[mailing.id].unsubscribed == 1
    # again: nothing more recorded, and the count stays
    provider.post(_path(_one_click_url(message)), data={"List-Unsubscribe": "One-Click"})
    assert len(_db.session.scalars(select(ConsentRecord)).all()) == 1
    assert results.figures([mailing.id])[mailing.id].unsubscribed == 1


def test_a_get_only_asks_so_a_link_scanner_unsubscribes_nobody(
    app, db, mail, make_contact, make_segment, make_mailing, make_user
):
    ada, mailing, message = _sent(make_contact, make_segment, make_mailing, make_user, mail)
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"Unsubscribe from appeals for support: (\S+)", text).group(1)
    scanner = app.test_client()
    page = scanner.get(_path(link))
    assert page.status_code == 200 and "Unsubscribe a•" in page.text
    assert "ada@example.org" not in page.text  # the address is masked
    assert consent.topic_states(ada)[Topic.APPEALS] is True
    assert _db.session.scalars(select(MailingEvent)).all() == []
    # the page's own button posts (a person, this time)
    assert scanner.post(_path(link), data={"confirm": "yes"}).status_code == 200
    assert consent.topic_states(ada)[Topic.APPEALS] is False


def test_a_forged_or_cut_token_changes_nothing(app, db, mail, make_contact, make_segment,
                                               make_mailing, make_user):  # fmt: skip
    ada, mailing, message = _sent(make_contact, make_segment, make_mailing, make_user, mail)
    url = _path(_one_click_url(message))
    client = app.test_client()
    for bad in (url[:-3], url + "x", "/email/unsubscribe/MTIz.abc", "/email/unsubscribe/test"):
        response = client.post(bad, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code in (200, 400)  # "test" is a preview's link: it explains
    assert consent.topic_states(ada)[Topic.APPEALS] is True
    # a click token is not an unsubscribe token
    click = re.search(r"http://localhost(/email/c/[^\s)\"]+)",
                      message.get_body(("plain",)).get_content()).group(1)  # fmt: skip
    token = click.rsplit("/", 1)[1]
    assert client.post(f"/email/unsubscribe/{token}").status_code == 400


def test_the_preference_page_records_each_change(app, db, mail, make_contact, make_segment,
                                                 make_mailing, make_user):  # fmt: skip
    ada, mailing, message = _sent(make_contact, make_segment, make_mailing, make_user, mail)
    link = re.search(r"(/email/preferences/[^\s\"<]+)",
                     message.get_body(("plain",)).get_content()).group(1)  # fmt: skip
    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Newsletter" in page.text
    form = {"newsletter": "y", "events": "y", "action": "save"}  # appeals and volunteering off
    response = visitor.form(link, form)
    assert "Saved" in response.text
    states = consent.topic_states(ada)
    assert states == {Topic.NEWSLETTER: True, Topic.APPEALS: False, Topic.EVENTS: True,
                      Topic.VOLUNTEERING: False}  # fmt: skip
    records = _db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.topic)).all()
    assert [(r.topic, r.granted, r.method) for r in records] == [
        ("email_appeals", False, ConsentMethod.PREFERENCE_PAGE),
        ("email_volunteering", False, ConsentMethod.PREFERENCE_PAGE),
    ]
    assert results.figures([mailing.id])[mailing.id].unsubscribed == 1  # appeals: its topic
    visitor.form(link, {"action": "none"})
    assert not any(consent.topic_states(ada).values())
    db.session.refresh(ada)
    assert ada.email_opt_in is False


def test_a_tracked_link_redirects_to_its_page_and_counts_people_once(
    app, db, mail, make_contact, make_segment, make_mailing, make_user
):
    _, mailing, message = _sent(make_contact, make_segment, make_mailing, make_user, mail)
    click = re.search(r"http://localhost(/email/c/[^\s)\"]+)",
                      message.get_body(("plain",)).get_content()).group(1)  # fmt: skip
    client = app.test_client()
    for _ in range(2):
        response = client.get(click)
        assert response.status_code == 302
        assert response.headers["Location"] == (
            f"http://localhost/give/spring?source={mailing.source_code}"
        )
    assert len(_db.session.scalars(select(MailingEvent).where(
        MailingEvent.kind == EventKind.CLICKED)).all()) == 2  # fmt: skip
    assert results.figures([mailing.id])[mailing.id].clicked == 1
    assert client.get(click[:-2] + "xx").status_code == 404


def test_receipts_carry_no_unsubscribe(db, mail, make_contact):
    from crm.donations.models import Donation, DonationStatus, PaymentMethod
    from crm.donations.receipts import send_receipt
    from crm.modelbase import utcnow

    donor = make_contact(email="donor@example.org", email_opt_in=False)
    gift = Donation(contact=donor, amount_cents=5000, currency="USD", received_at=utcnow(),
                    status=DonationStatus.SUCCEEDED, method=PaymentMethod.CASH)  # fmt: skip
    _db.session.add(gift)
    _db.session.flush()
    send_receipt(gift)  # numbers and emails it
    _db.session.commit()
    (receipt,) = mail.to("donor@example.org")
    assert receipt["List-Unsubscribe"] is None and receipt["List-Unsubscribe-Post"] is None
    assert "unsubscribe" not in receipt.get_body(("plain",)).get_content().lower()
