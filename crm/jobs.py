"""Background jobs on Huey: a SQLite file by default, Redis when REDIS_URL is set.

Run the worker with `flask crm worker`. With JOBS_IMMEDIATE (tests) a job runs as soon as
it is queued, in the same process.
"""

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab


def init_app(app: Flask) -> None:
    from crm import leases  # noqa: F401  (its table)
    from crm.mail import services as mail

    if app.config["REDIS_URL"]:
        huey = RedisHuey("crm", url=app.config["REDIS_URL"], immediate=app.config["JOBS_IMMEDIATE"])
    else:
        huey = SqliteHuey(
            "crm", filename=app.config["JOBS_SQLITE_PATH"], immediate=app.config["JOBS_IMMEDIATE"]
        )

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
    }
    mail.register_session_hooks()


def enqueue(name: str, *args) -> None:
    current_app.extensions["crm.jobs"][name](*args)
