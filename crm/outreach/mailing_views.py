"""Mailings: the list with their figures, composing, the page that shows who is left out
before anything goes, and sending now, scheduling, testing and cancelling."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from crm.auth.access import staff_required
from crm.contacts.views import get_or_404
from crm.donations.models import Campaign, CampaignStatus
from crm.events.models import Event
from crm.extensions import db
from crm.formats import format_date, format_datetime
from crm.forms import ConfirmForm
from crm.jobs import enqueue
from crm.modelbase import utcnow
from crm.outreach import audience, bp, mailings, preparing, results, segments
from crm.outreach.forms import MailingForm, ScheduleForm
from crm.outreach.merge import FIELDS
from crm.outreach.models import Audience, Mailing, MailingStatus, Segment, Topic
from crm.volunteers.models import Shift


def get_mailing(mailing_id: int) -> Mailing:
    mailing = get_or_404(Mailing, mailing_id)
    if not mailings.may_use(mailing, current_user):
        abort(403)
    return mailing


@bp.get("/outreach/mailings/")
@staff_required
def mailings_index():
    query = select(Mailing).outerjoin(Segment, Segment.id == Mailing.segment_id)
    if not segments.sees_money(current_user):
        query = query.where(or_(Segment.id.is_(None), Segment.uses_money.is_(False)))
    linked = (selectinload(Mailing.segment), selectinload(Mailing.event),
              selectinload(Mailing.shift))  # fmt: skip
    rows = db.session.scalars(query.options(*linked).order_by(Mailing.id.desc()).limit(200)).all()
    return render_template("outreach/mailings.html", mailings=rows,
                           figures=results.figures([m.id for m in rows]),
                           sees_money=segments.sees_money(current_user))  # fmt: skip


def _choices(form: MailingForm) -> None:
    recent = utcnow() - timedelta(days=90)
    form.segment_id.choices = [("", "Choose a segment")] + [
        (str(s.id), s.name) for s in db.session.scalars(segments.visible(current_user))
    ]
    events = select(Event).where(Event.starts_at >= recent, Event.cancelled_at.is_(None))
    form.event_id.choices = [("", "Choose an event")] + [
        (str(e.id), f"{e.title} ({format_date(e.starts_at)})")
        for e in db.session.scalars(events.order_by(Event.starts_at))
    ]
    shifts = select(Shift).where(Shift.starts_at >= recent, Shift.on())
    form.shift_id.choices = [("", "Choose a shift")] + [
        (str(s.id), f"{s.title} ({format_date(s.starts_at)})")
        for s in db.session.scalars(shifts.order_by(Shift.starts_at))
    ]
    campaigns = select(Campaign).order_by(Campaign.status != CampaignStatus.ACTIVE, Campaign.name)
    form.campaign_id.choices = [("", "Choose a campaign")] + [
        (str(c.id), c.name) for c in db.session.scalars(campaigns)
    ]


def _number(value) -> int | None:
    return int(value) if str(value or "").isdigit() and len(str(value)) < 10 else None


def _data(form: MailingForm) -> dict:
    kind = Audience(form.audience.data)
    return {
        "subject": form.subject.data, "preview_text": form.preview_text.data or None,
        "from_name": form.from_name.data, "reply_to": form.reply_to.data or None,
        "body": form.body.data, "audience": kind, "source_code": form.source_code.data,
        "topic": Topic(form.topic.data) if form.topic.data in set(Topic) else None,
        "segment_id": _number(form.segment_id.data) if kind == Audience.SEGMENT else None,
        "event_id": _number(form.event_id.data) if kind == Audience.EVENT else None,
        "event_audience": form.event_audience.data if kind == Audience.EVENT else None,
        "shift_id": _number(form.shift_id.data) if kind == Audience.SHIFT else None,
        "campaign_id": _number(form.campaign_id.data),
    }  # fmt: skip


def _check(form: MailingForm, data: dict) -> bool:
    ok = True
    for field, name in (("segment_id", "segment"), ("event_id", "event"), ("shift_id", "shift")):
        wanted = data["audience"].value == name
        if wanted and not any(str(data[field]) == v for v, _ in form[field].choices if v):
            form[field].errors.append(f"Choose a {name}.")
            ok = False
    if not any(str(data["campaign_id"]) == v for v, _ in form.campaign_id.choices if v):
        form.campaign_id.errors.append("Choose the campaign the mailing belongs to.")
        ok = False
    return ok


def _defaults(form: MailingForm) -> None:
    settings = preparing.settings()
    form.from_name.data = settings.from_name or current_app.config["ORG_NAME"]
    form.reply_to.data = settings.reply_to
    for kind in ("segment", "event", "shift"):
        if request.args.get(kind, "").isdigit():
            form.audience.data = kind
            form[f"{kind}_id"].data = request.args[kind]
    if form.audience.data in ("event", "shift"):
        form.topic.data = ""
        record = db.session.get(Event if form.audience.data == "event" else Shift,
                                int(form[f"{form.audience.data}_id"].data))  # fmt: skip
        event = record if isinstance(record, Event) else getattr(record, "event", None)
        if event is not None and event.campaign_id:
            form.campaign_id.data = str(event.campaign_id)
    form.source_code.data = f"email-{utcnow():%Y%m%d-%H%M}"


def _compose(mailing: Mailing | None):
    form = MailingForm(obj=mailing)
    _choices(form)
    if mailing is None and not form.is_submitted():
        _defaults(form)
    if mailing is not None and not form.is_submitted():
        form.topic.data = mailing.topic.value if mailing.topic else ""
        for name in ("segment_id", "event_id", "shift_id", "campaign_id"):
            form[name].data = str(getattr(mailing, name) or "")
    if form.validate_on_submit() and _check(form, data := _data(form)):
        try:
            mailing = mailings.save(mailing, data, current_user)
        except mailings.MailingError as exc:
            db.session.rollback()
            target = form[exc.field] if exc.field in form else None
            (target.errors if target else form.form_errors).append(str(exc))
        else:
            db.session.commit()
            flash("Mailing saved. Check who gets it, preview it and send a test.", "success")
            return redirect(url_for("outreach.mailing", mailing_id=mailing.id))
    status = 422 if form.is_submitted() else 200
    money = segments.sees_money(current_user)
    fields = [(name, f) for name, f in FIELDS.items() if money or not f.money]
    return render_template("outreach/mailing_form.html", form=form, mailing=mailing,
                           merge_fields=fields), status  # fmt: skip


@bp.route("/outreach/mailings/new", methods=["GET", "POST"])
@staff_required
def new_mailing():
    return _compose(None)


@bp.route("/outreach/mailings/<int:mailing_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_mailing(mailing_id: int):
    mailing = get_mailing(mailing_id)
    if not mailing.editable:
        flash("A mailing that has started cannot be changed.", "info")
        return redirect(url_for("outreach.mailing", mailing_id=mailing.id))
    return _compose(mailing)


@bp.get("/outreach/mailings/<int:mailing_id>")
@staff_required
def mailing(mailing_id: int):
    record = get_mailing(mailing_id)
    context = {
        "mailing": record,
        "form": ConfirmForm(),
        "schedule_form": ScheduleForm(),
        "sees_money": segments.sees_money(current_user),
        "reasons": audience.REASONS,
    }
    if record.editable:
        context["problems"] = preparing.problems(record, current_user)
        try:
            context["count"], context["left_out"] = audience.summary(record, current_user)
        except audience.AudienceError:
            context["count"], context["left_out"] = 0, {}
    else:
        context["figures"] = results.figures([record.id])[record.id]
        if context["sees_money"]:
            context["gifts"] = db.session.scalars(
                results.attributed_gifts(record.id).limit(20)
            ).all()
    return render_template("outreach/mailing.html", **context)


@bp.get("/outreach/mailings/<int:mailing_id>/progress.json")
@staff_required
def mailing_progress(mailing_id: int):
    record = get_mailing(mailing_id)
    found = results.figures([record.id])[record.id]
    done = found.recipients - found.waiting
    percent = round(100 * done / found.recipients) if found.recipients else 0
    return jsonify(status=record.status.value, busy=record.status == MailingStatus.SENDING,
                   rows_done=done, rows_total=found.recipients, percent=percent)  # fmt: skip


def _act(mailing_id: int, action, success: str, queue: bool = False):
    record = get_mailing(mailing_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(record)
    except mailings.MailingError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        if queue:
            enqueue("send_mailing", record.id)
        flash(success, "success")
    return redirect(url_for("outreach.mailing", mailing_id=mailing_id))


@bp.post("/outreach/mailings/<int:mailing_id>/send")
@staff_required
def send_mailing(mailing_id: int):
    started = "Sending has started. The figures below fill in as it goes."
    return _act(mailing_id, lambda m: mailings.send_now(m, current_user), started, queue=True)


@bp.post("/outreach/mailings/<int:mailing_id>/cancel")
@staff_required
def cancel_mailing(mailing_id: int):
    return _act(mailing_id, lambda m: mailings.cancel(m, current_user),
                "The mailing is cancelled: nobody else will get it.")  # fmt: skip


@bp.post("/outreach/mailings/<int:mailing_id>/test")
@staff_required
def test_mailing(mailing_id: int):
    contact = _number(request.form.get("contact"))
    person = db.session.get(mailings.Contact, contact) if contact else None
    return _act(mailing_id, lambda m: mailings.send_test(m, current_user, person),
                f"A test is on its way to {current_user.email}.")  # fmt: skip


@bp.post("/outreach/mailings/<int:mailing_id>/schedule")
@staff_required
def schedule_mailing(mailing_id: int):
    record = get_mailing(mailing_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash(" ".join(form.send_at.errors) or "Choose the day and time.", "danger")
        return redirect(url_for("outreach.mailing", mailing_id=record.id))
    when = form.send_at.data.replace(tzinfo=ZoneInfo(current_app.config["ORG_TIMEZONE"]))
    try:
        mailings.schedule(record, when, current_user)
    except mailings.MailingError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"Scheduled for {format_datetime(when, 'long')}.", "success")
    return redirect(url_for("outreach.mailing", mailing_id=record.id))
