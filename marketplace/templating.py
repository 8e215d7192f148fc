"""Jinja filters and globals shared by every template."""

from datetime import timedelta
from functools import lru_cache

from babel.dates import format_timedelta
from flask import Flask, g, has_app_context, request
from flask_babel import format_date, format_datetime, get_locale
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


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        md=safe,
        country=i18n.country_name,
        region=i18n.region_name,
        language=i18n.language_name,
        datetime=format_datetime,
        date=format_date,
        number=i18n.format_number,
        ago=ago,
    )
    app.jinja_env.globals.update(get_locale=i18n.current_locale)
    app.before_request(i18n.preload_wtforms_translations)
    app.jinja_env.add_extension("jinja2.ext.i18n")  # {% trans %} blocks in templates
    i18n.install_jinja_gettext(app.jinja_env)

    @app.context_processor
    def _globals():
        return {"language_choices": i18n.ui_language_choices(),
                "language_next": request.full_path.rstrip("?"), "site_name": app.config["SITE_NAME"]}
