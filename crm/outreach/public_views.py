"""The pages behind the links in outreach messages: they work without signing in, from a
signed link made for one recipient.

One-click unsubscribe follows RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click`
to the https address of the List-Unsubscribe header, with no cookie and no CSRF token, so
that POST is exempt from CSRF (the signed token is what proves it); it is the only route so
exempt besides provider callbacks. A GET of the same address only shows a confirmation
page, so a link scanner that follows every link unsubscribes nobody."""

from flask import Response, redirect, render_template, request

from crm.auth.access import public
from crm.extensions import csrf, db, limiter
from crm.forms import public_form_limit
from crm.outreach import bp, consent, preparing, responses, tokens
from crm.outreach.forms import preferences_form
from crm.outreach.models import MailingRecipient, Topic

PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
         b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")  # fmt: skip


def _invalid(status: int = 404):
    """A link that is not (or no longer) valid: a preview's, a cut one, an erased person's."""
    test = request.view_args.get("token") == "test"
    return render_template("outreach/public/invalid.html", test=test), 200 if test else status


def _masked(email: str | None) -> str:
    local, _, domain = (email or "").partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 2)}@{domain}" if domain else ""


@bp.route("/email/unsubscribe/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token: str):
    row = responses.recipient("unsubscribe", token)
    if row is None:
        return _invalid(404 if request.method == "GET" else 400)
    if request.method == "GET":
        return render_template("outreach/public/unsubscribe.html", row=row,
                               address=_masked(row.email), token=token)  # fmt: skip
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    topic = responses.unsubscribe(row, "One-click unsubscribe" if one_click else "Unsubscribe link")
    db.session.commit()
    preferences = tokens.sign("preferences", [row.contact_id or 0, row.id])
    return render_template("outreach/public/unsubscribed.html", topic=topic,
                           address=_masked(row.email), preferences=preferences)  # fmt: skip


@bp.route("/email/preferences/<token>", methods=["GET", "POST"])
@public
@limiter.limit(public_form_limit, methods=["POST"])
def preferences(token: str):
    contact, row = responses.contact_of_preferences(token)
    if contact is None or not contact.email:
        return _invalid()
    form = preferences_form(consent.topic_states(contact))
    if form.validate_on_submit():
        if request.form.get("action") == "none":
            wanted = dict.fromkeys(Topic, False)
        else:
            wanted = {topic: bool(form[topic.value].data) for topic in Topic}
        changed = responses.save_preferences(contact, row, wanted)
        db.session.commit()
        message = "Saved: you will get only what is ticked." if changed else "Nothing changed."
        form = preferences_form(consent.topic_states(contact))
        return render_template("outreach/public/preferences.html", form=form, saved=message,
                               address=_masked(contact.email), topics=list(Topic))  # fmt: skip
    return render_template("outreach/public/preferences.html", form=form, saved=None,
                           address=_masked(contact.email), topics=list(Topic))  # fmt: skip


@bp.get("/email/c/<token>")
@public
def click(token: str):
    value = tokens.read("click", token)
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return _invalid()
    row = db.session.get(MailingRecipient, value[0])
    target = responses.click(row, value[1]) if row is not None else None
    if target is None:
        return _invalid()
    db.session.commit()
    return redirect(target, 302)


@bp.get("/email/o/<token>.gif")
@public
def opened(token: str):
    row = responses.recipient("open", token)
    if row is not None and preparing.settings().track_opens:
        responses.opened(row)
        db.session.commit()
    return Response(PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store"})
