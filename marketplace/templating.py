"""Jinja filters and globals shared by every template."""

import babel.dates
from babel import Locale
from flask import Flask, request
from flask_babel import format_timedelta, get_locale, get_timezone, to_user_timezone

from marketplace import i18n
from marketplace.database import utcnow
from marketplace.text import safe


def _ago(value) -> str:
    return format_timedelta(value - utcnow(), add_direction=True) if value else ""


def _format_locale() -> Locale:
    """The locale dates are written in: English ones day-month-year ("5 Dec 2026"), which
    no reader anywhere takes for another date (the US default writes 12/5/26)."""
    locale = get_locale() or Locale("en")
    return Locale("en", "GB") if locale.language == "en" and not locale.territory else locale


def _date(value, format: str = "medium") -> str:
    """A date (or a datetime's date, in the reader's time zone) in medium form or longer."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = to_user_timezone(value)
    format = "medium" if format == "short" else format
    return babel.dates.format_date(value, format, locale=_format_locale())


def _datetime(value, format: str = "medium") -> str:
    """Medium date and short time in the reader's time zone ("5 Dec 2026, 14:11")."""
    if value is None:
        return ""
    locale = _format_locale()
    if format not in ("short", "medium"):
        return babel.dates.format_datetime(value, format, tzinfo=get_timezone(), locale=locale)
    value = to_user_timezone(value)
    date = babel.dates.format_date(value, "medium", locale=locale)
    time = babel.dates.format_time(value, "short", tzinfo=value.tzinfo, locale=locale)
    return str(locale.datetime_formats["medium"]).replace("'", "").format(time, date)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        md=safe,
        country=i18n.country_name,
        region=i18n.region_name,
        language=i18n.language_name,
        datetime=_datetime,
        date=_date,
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
