from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.contacts.models import Contact


def test_a_change_to_an_unloaded_field_logs_its_old_value(app, db, make_contact):
    c = make_contact(first_name="Old", last_name="Name")
    db.session.expire_all()
    c = db.session.get(Contact, c.id)
    db.session.expire(c)
    c.last_name = "New"
    db.session.commit()
    ev = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).all()
    assert ev[-1].changes == {"last_name": ["Name", "New"]}
