"""Jinja filters and globals shared by every template."""

from datetime import timedelta
from functools import lru_cache

import babel.dates
from babel import Locale
from babel.dates import format_timedelta
from flask import Flask, g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_timezone, to_user_timezone
from flask_babel import gettext as _

from marketplace import i18n
from marketplace.database import utcnow
from marketplace.text import safe

# Below each limit (seconds), an age is rounded down to this unit (seconds) before formatting.
_UNITS = ((3600, 60), (86400, 3600), (30 * 86400, 86400))


def ago(value) -> str:
    """"just now" (under a minute), "5 minutes ago", "in 3 days". One clock per request and a
    cache by rounded age: a thread page formats many dates."""
    if not value:
        return ""
    now = g.setdefault("ago_now", utcnow()) if has_app_context() else utcnow()
    seconds = int((value - now).total_seconds())
    if abs(seconds) < 60:
        return _("just now")
    unit = next((u for limit, u in _UNITS if abs(seconds) < limit), 7 * 86400)
    return _format_ago(int(seconds / unit) * unit, str(get_locale() or "en"))


@lru_cache(maxsize=4096)
def _format_ago(seconds: int, locale: str) -> str:
    return format_timedelta(timedelta(seconds=seconds), add_direction=True, locale=locale)


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
        ago=ago,
    )
    app.jinja_env.globals.update(get_locale=i18n.current_locale)
    app.before_request(i18n.preload_wtforms_translations)
    app.jinja_env.add_extension("jinja2.ext.i18n")  # {% trans %} blocks in templates
    i18n.install_jinja_gettext(app.jinja_env)

    @app.context_processor
    def _globals():
        # mail rendered by a command (cron, demo data) has no request
        here = request.full_path.rstrip("?") if has_request_context() else ""
        return {"language_choices": i18n.ui_language_choices(), "language_next": here,
                "site_name": app.config["SITE_NAME"]}
