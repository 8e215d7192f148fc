"""Optional error reporting to Sentry (SENTRY_DSN)."""

from flask import Flask

from marketplace.ops.logs import request_id


def init_app(app: Flask) -> None:
    dsn = app.config["SENTRY_DSN"]
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(dsn=dsn, integrations=[FlaskIntegration()], send_default_pii=False,
                    traces_sample_rate=float(app.config["SENTRY_TRACES_SAMPLE_RATE"]),
                    environment="production" if app.config["PRODUCTION"] else "development")

    @app.before_request
    def _tag_request_id():

        sentry_sdk.get_isolation_scope().set_tag("request_id", request_id())
