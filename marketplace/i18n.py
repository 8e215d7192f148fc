"""Locale selection and localized names for ISO countries, regions and languages."""

from functools import lru_cache

import pycountry
from babel import Locale
from babel.core import get_global
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LOCALE_COOKIE = "lang"

REGION_LABELS = {
    "africa": _l("Africa"),
    "americas": _l("Americas"),
    "asia": _l("Asia"),
    "europe": _l("Europe"),
    "oceania": _l("Oceania"),
    "antarctica": _l("Antarctica"),
}
# Regions come from each country's time zones in CLDR; these have only ocean zones.
_TZ_REGIONS = {
    "Africa": "africa", "America": "americas", "Asia": "asia", "Europe": "europe",
    "Pacific": "oceania", "Australia": "oceania", "Antarctica": "antarctica", "Arctic": "europe",
}
_OCEAN_REGIONS = {
    "BM": "americas", "FK": "americas", "GS": "americas", "CV": "africa", "SH": "africa",
    "KM": "africa", "MG": "africa", "MU": "africa", "RE": "africa", "SC": "africa",
    "YT": "africa", "TF": "africa", "FO": "europe", "IS": "europe", "CC": "oceania",
    "CX": "oceania", "IO": "asia", "MV": "asia",
}


def select_locale() -> str:
    """The user's setting, then the language-switcher cookie, then Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, cron, tests calling services: the default language
        return languages[0]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or languages[0]


def user_locale(user) -> str:
    """The language to write to a user in (mail, notifications): their setting, else the default."""
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else languages[0]


def _locale() -> Locale:
    return get_locale() or Locale("en")


@lru_cache(maxsize=8)
def _country_codes() -> tuple[str, ...]:
    return tuple(sorted(c.alpha_2 for c in pycountry.countries))


def is_country(code: str | None) -> bool:
    return bool(code) and code.upper() in _country_codes()


def country_name(code: str | None) -> str:
    if not code:
        return ""
    code = code.upper()
    name = _locale().territories.get(code)
    if name:
        return name
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def country_choices(blank: str | None = None) -> list[tuple[str, str]]:
    names = _locale().territories
    choices = sorted(
        ((code, names.get(code) or pycountry.countries.get(alpha_2=code).name)
         for code in _country_codes()),
        key=lambda c: c[1],
    )
    return ([("", blank)] if blank is not None else []) + choices


@lru_cache(maxsize=512)
def region_of(code: str | None) -> str | None:
    if not code:
        return None
    code = code.upper()
    if code in _OCEAN_REGIONS:
        return _OCEAN_REGIONS[code]
    for zone in get_global("territory_zones").get(code, []):
        region = _TZ_REGIONS.get(zone.split("/")[0])
        if region:
            return region
    return None


def region_name(region: str | None) -> str:
    return str(REGION_LABELS.get(region, region or ""))


@lru_cache(maxsize=8)
def _language_codes() -> tuple[str, ...]:
    return tuple(sorted(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")))


def is_language(code: str | None) -> bool:
    return bool(code) and code.lower() in _language_codes()


def language_name(code: str | None) -> str:
    if not code:
        return ""
    name = _locale().languages.get(code.lower())
    if name:
        return name
    lang = pycountry.languages.get(alpha_2=code.lower())
    return lang.name if lang else code


def language_choices() -> list[tuple[str, str]]:
    return sorted(((c, language_name(c)) for c in _language_codes()), key=lambda c: c[1])


def ui_language_choices() -> list[tuple[str, str]]:
    """The interface languages, each named in itself."""
    return [(c, Locale.parse(c).get_display_name(c).capitalize())
            for c in current_app.config["LANGUAGES"]]


# WTForms' own messages ("This field is required.") in the request's language. Flask-WTF loads
# that catalog from disk on every request; this keeps one per locale for the process.
_FORMLESS_PREFIXES = ("/api/", "/static/", "/feeds/", "/open-data/")


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def preload_wtforms_translations() -> None:
    """before_request: hand Flask-WTF the cached catalog (it reads request.wtforms_translations)."""
    if not request.path.startswith(_FORMLESS_PREFIXES):
        request.wtforms_translations = _wtforms_catalog(str(get_locale()))
