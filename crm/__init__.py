"""The CRM application factory."""

import logging
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, INSTANCE_DIR, ProductionConfig
from crm.extensions import csrf, db, limiter, login_manager, migrate, talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": ["'self'", "https://checkout.stripe.com"],  # the giving form redirects there
    "frame-ancestors": "'none'",
}


def create_app(config_class=None) -> Flask:
    if config_class is None:
        config_class = CONFIGS[os.environ.get("CRM_CONFIG", "development")]
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(config_class)
    check_config(app, config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    configure_logging(app)
    return app


def check_config(app: Flask, config_class) -> None:
    if issubclass(config_class, ProductionConfig):
        config_class.check(app.config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set")
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from crm import jobs
    from crm.audit import listeners

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.normpath(os.path.join(app.root_path, "..", "migrations")),
        render_as_batch=True,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
    )
    jobs.init_app(app)
    listeners.register()


def register_blueprints(app: Flask) -> None:
    from crm.audit import bp as audit_bp
    from crm.auth import bp as auth_bp
    from crm.contacts import bp as contacts_bp
    from crm.dashboard import bp as dashboard_bp
    from crm.dataio import bp as dataio_bp
    from crm.donations import bp as donations_bp
    from crm.events import bp as events_bp
    from crm.mail import bp as mail_bp
    from crm.main import bp as main_bp
    from crm.outreach import bp as outreach_bp
    from crm.urls import DatabaseId
    from crm.volunteers import bp as volunteers_bp
    from crm.work import bp as work_bp

    app.url_map.converters["int"] = DatabaseId
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(contacts_bp)
    app.register_blueprint(donations_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(volunteers_bp)
    app.register_blueprint(dataio_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(work_bp)
    app.register_blueprint(outreach_bp)


def register_request_hooks(app: Flask) -> None:
    from crm.auth.access import enforce_access
    from crm.main.guard import refuse_nul_in_url

    app.before_request(refuse_nul_in_url)
    app.before_request(enforce_access)


def register_errorhandlers(app: Flask) -> None:
    from crm.main import errors, templating

    errors.register(app)
    templating.register(app)


def register_commands(app: Flask) -> None:
    from crm.cli import crm_cli
    from crm.dataio import cli as dataio_cli  # noqa: F401  (adds its commands to crm_cli)

    app.cli.add_command(crm_cli)


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("crm").setLevel(logging.INFO)
