"""Background jobs on Huey: a SQLite file by default, Redis when REDIS_URL is set.

Run the worker with `flask crm worker`. With JOBS_IMMEDIATE (tests) a job runs as soon as
it is queued, in the same process.
"""

import logging

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("crm.jobs")
AFTER_COMMIT_KEY = "crm.jobs_after_commit"


def init_app(app: Flask) -> None:
    from crm import leases  # noqa: F401  (its table)
    from crm.mail import services as mail

    name, immediate = app.config.get("JOBS_QUEUE_NAME", "crm"), app.config["JOBS_IMMEDIATE"]
    if app.config["REDIS_URL"]:
        huey = RedisHuey(name, url=app.config["REDIS_URL"], immediate=immediate)
    else:
        huey = SqliteHuey(name, filename=app.config["JOBS_SQLITE_PATH"], immediate=immediate)

    @huey.task(name="deliver_email")
    def deliver_email(message_id: int):
        with app.app_context():
            return mail.deliver(message_id)

    @huey.periodic_task(crontab(minute="*"), name="sweep_outbox")
    def sweep_outbox():
        with app.app_context():
            return mail.deliver_due()

    @huey.periodic_task(crontab(hour="4", minute="10"), name="prune_outbox")
    def prune_outbox():
        from crm.extensions import db
        from crm.mail import retention

        with app.app_context():
            deleted = retention.prune(db.session)
            db.session.commit()
            return deleted

    @huey.periodic_task(crontab(minute="*"), name="recover_jobs")
    def recover_jobs():
        """Long jobs whose worker died (their lease expired) are taken over."""
        from crm.dataio import recovery

        with app.app_context():
            return recovery.recover_stalled()

    @huey.task(name="run_import")
    def run_import(batch_id: int, dry_run: bool):
        from crm.dataio import batches

        with app.app_context():
            return batches.run(batch_id, dry_run)

    @huey.task(name="undo_import")
    def undo_import(batch_id: int):
        from crm.dataio import batches

        with app.app_context():
            return batches.undo(batch_id)

    @huey.task(name="send_mailing")
    def send_mailing(mailing_id: int):
        from crm.outreach import sending

        with app.app_context():
            return sending.run(mailing_id)

    @huey.periodic_task(crontab(minute="*"), name="dispatch_mailings")
    def dispatch_mailings():
        """Start scheduled mailings, and resume any whose sender died or that have retries
        due; also run when a worker starts, so a restarted worker resumes at once."""
        from crm.extensions import db
        from crm.outreach import mailings

        with app.app_context():
            due = mailings.start_due()
            db.session.commit()
        for mailing_id in due:
            send_mailing(mailing_id)
        return len(due)

    @huey.on_startup()
    def resume_mailings():
        if not app.config["JOBS_IMMEDIATE"]:
            dispatch_mailings()

    app.extensions["huey"] = huey
    app.extensions["crm.jobs"] = {
        "deliver_email": deliver_email,
        "sweep_outbox": sweep_outbox,
        "prune_outbox": prune_outbox,
        "recover_jobs": recover_jobs,
        "run_import": run_import,
        "undo_import": undo_import,
        "send_mailing": send_mailing,
        "dispatch_mailings": dispatch_mailings,
        **_stripe_jobs(app, huey),
    }
    mail.register_session_hooks()
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def _stripe_jobs(app: Flask, huey) -> dict:
    """Stripe events are acknowledged once stored and handled here; receipts are numbered
    in batches; a sweep retries what failed or was held, and staff digests go out."""

    @huey.task(name="process_stripe_event")
    def process_stripe_event(event_id: str):
        from crm.donations import inbox

        with app.app_context():
            return inbox.process(event_id).value

    @huey.task(name="issue_receipts")
    def issue_receipts():
        from crm.donations import receipts

        with app.app_context():
            return receipts.issue_due_and_commit()

    @huey.task(name="reconcile_payout")
    def reconcile_payout(payout_id: int):
        from crm.donations import payouts

        with app.app_context():
            return payouts.reconcile_and_commit(payout_id).value

    @huey.periodic_task(crontab(minute="*"), name="stripe_sweep")
    def stripe_sweep():
        from crm.donations import inbox

        with app.app_context():
            return inbox.sweep()

    @huey.periodic_task(crontab(minute="7"), name="stripe_digests")
    def stripe_digests():
        from crm.donations import alerts

        with app.app_context():
            return alerts.send_due_digests()

    return {
        "process_stripe_event": process_stripe_event,
        "issue_receipts": issue_receipts,
        "reconcile_payout": reconcile_payout,
        "stripe_sweep": stripe_sweep,
        "stripe_digests": stripe_digests,
    }


def enqueue(name: str, *args) -> None:
    current_app.extensions["crm.jobs"][name](*args)


def enqueue_after_commit(name: str, *args) -> None:
    """Queue a job once the current transaction commits (never if it rolls back); the same
    job with the same arguments is queued once per transaction."""
    from crm.extensions import db

    db.session.info.setdefault(AFTER_COMMIT_KEY, {})[(name, args)] = None


def _after_commit(session: Session) -> None:
    for name, args in session.info.pop(AFTER_COMMIT_KEY, {}):
        try:
            enqueue(name, *args)
        except Exception:  # the periodic sweep does it later
            log.exception("could not queue job %s%r", name, args)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(AFTER_COMMIT_KEY, None)
