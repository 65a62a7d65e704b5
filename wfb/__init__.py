"""WFB, the WhatsApp Flow Builder: one Flask app for the API, webhooks and dashboard."""

from datetime import timedelta

from flask import Flask
from werkzeug.routing import IntegerConverter

from wfb import jobs, logs, models  # noqa: F401  (mappers)
from wfb.errors import register_error_handlers
from wfb.extensions import api, db, jwt, limiter, migrate, sock
from wfb.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = RowId
    configure(app, settings)
    logs.init_app(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    app.after_request(security_headers)
    register_commands(app)
    jobs.init_app(app)
    if settings.WFB_EMBEDDED_WORKER:
        jobs.start_embedded_consumer()
    return app


def security_headers(response):
    """No page may be framed by another site (clickjacking), and no answer is read as
    another type than it says."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


class RowId(IntegerConverter):
    """An `<int:...>` path part that fits the database's integer ids, else a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=settings.DATABASE_URL,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        JWT_SECRET_KEY=settings.SECRET_KEY,
        JWT_TOKEN_LOCATION=["headers", "cookies"],
        JWT_COOKIE_SECURE=settings.production,
        JWT_COOKIE_SAMESITE="Lax",
        JWT_COOKIE_CSRF_PROTECT=True,
        # Pings find sockets whose client vanished without closing them.
        SOCK_SERVER_OPTIONS={"ping_interval": 25},
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=settings.ACCESS_TOKEN_MINUTES),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=settings.REFRESH_TOKEN_DAYS),
        RATELIMIT_ENABLED=settings.RATELIMIT_ENABLED,
        RATELIMIT_STORAGE_URI=settings.REDIS_URL or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        API_TITLE="WFB",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
        API_SPEC_OPTIONS={
            # Every route needs a token unless its view says `security=[]`.
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                    }
                }
            },
        },
    )


def engine_options(settings: Settings) -> dict:
    if settings.sqlite:
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    jwt.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    sock.init_app(app)
    if app.config["SETTINGS"].sqlite:
        from wfb.dbsetup import enable_sqlite_wal

        with app.app_context():
            enable_sqlite_wal(db.engine)


def register_blueprints(app: Flask) -> None:
    from wfb.accounts.routes import blp as auth
    from wfb.accounts.team_routes import blp as team
    from wfb.audit.routes import blp as audit
    from wfb.campaigns.routes import blp as campaigns
    from wfb.contacts.routes import blp as contacts
    from wfb.conversations.routes import blp as conversations
    from wfb.credentials.routes import blp as credentials
    from wfb.dashboard import register_pages
    from wfb.flows.routes import blp as flows
    from wfb.live.socket import bp as live
    from wfb.message_templates.routes import blp as templates
    from wfb.phone_numbers.routes import blp as phone_numbers
    from wfb.sales_team.routes import blp as sales_team
    from wfb.sandbox.routes import bp as sandbox
    from wfb.super_admin.routes import blp as super_admin
    from wfb.webhooks.routes import blp as webhooks

    for blueprint in (
        auth,
        super_admin,
        team,
        audit,
        credentials,
        phone_numbers,
        sales_team,
        flows,
        contacts,
        templates,
        campaigns,
        conversations,
        webhooks,
    ):
        api.register_blueprint(blueprint)
    register_pages(app)
    app.register_blueprint(live)
    if app.config["SETTINGS"].WFB_SANDBOX:
        app.register_blueprint(sandbox)


def register_commands(app: Flask) -> None:
    from wfb.cli import cli

    app.cli.add_command(cli)
