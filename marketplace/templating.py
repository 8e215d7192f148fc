"""Jinja filters and globals shared by every template."""

from flask import Flask, request
from flask_babel import format_date, format_datetime, format_timedelta

from marketplace import i18n
from marketplace.database import utcnow
from marketplace.text import safe


def _ago(value) -> str:
    return format_timedelta(value - utcnow(), add_direction=True) if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        md=safe,
        country=i18n.country_name,
        region=i18n.region_name,
        language=i18n.language_name,
        datetime=format_datetime,
        date=format_date,
        number=i18n.format_number,
        ago=_ago,
    )
    app.jinja_env.globals.update(get_locale=i18n.current_locale)
    app.before_request(i18n.preload_wtforms_translations)
    app.jinja_env.add_extension("jinja2.ext.i18n")  # {% trans %} blocks in templates
    i18n.install_jinja_gettext(app.jinja_env)

    @app.context_processor
    def _globals():
        return {"language_choices": i18n.ui_language_choices(),
                "language_next": request.full_path.rstrip("?"), "site_name": app.config["SITE_NAME"]}
