"""Running it for real: health and readiness, JSON logs with request ids, metrics, error
reporting, `marketplace doctor` and `marketplace jobs`."""

from flask import Flask

from marketplace.ops import cli, logs, metrics, reporting, views


def init_app(app: Flask) -> None:

    logs.init_app(app)
    metrics.init_app(app)
    reporting.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.jobs_cli)
    app.cli.add_command(cli.doctor)  # also on `marketplace` itself, which runs it if the app cannot start
