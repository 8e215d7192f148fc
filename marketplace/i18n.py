"""Locale selection and localized names for ISO countries, regions and languages."""

from collections.abc import Mapping
from contextlib import contextmanager
from functools import lru_cache

import flask_babel
import pycountry
from babel import Locale
from babel.core import get_global
from babel.numbers import parse_pattern
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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


def request_locale() -> Locale:
    """Flask-Babel's locale selector: select_locale()'s choice as one shared Locale object per
    language, so that the per-locale caches below find it by identity (Locale.__eq__ is slow)."""
    return _shared_locale(select_locale())


@lru_cache(maxsize=16)
def _shared_locale(code: str) -> Locale:
    return Locale.parse(code)


_DEFAULT_LOCALE = Locale("en")


_SLOT = "_marketplace_i18n"  # our own slot on `g`: [locale, catalog or None]


def current_locale() -> Locale:
    """Flask-Babel's get_locale(), kept in our own slot on `g` once asked (a page of country
    names and figures asks hundreds of times; get_locale() costs ~20 times a slot read). `g` is
    resolved once: each attribute read through the proxy costs ~1 µs. The slot is dropped by
    force_locale() and refresh() below, which the app uses instead of Flask-Babel's."""
    try:
        namespace = g._get_current_object()
    except RuntimeError:  # no app context
        return _DEFAULT_LOCALE
    entry = getattr(namespace, _SLOT, None) or _remember(namespace)
    return entry[0]


def translations():
    """The request's catalog, kept in the same slot (Flask-Babel's get_translations() looks the
    locale and the catalog up again on every call, paid by each `_()` in a template)."""
    try:
        namespace = g._get_current_object()
    except RuntimeError:  # no app context
        return get_translations()
    entry = getattr(namespace, _SLOT, None) or _remember(namespace)
    if entry[1] is None:
        entry[1] = get_translations()
    return entry[1]


def _remember(namespace) -> list:
    entry = [get_locale() or _DEFAULT_LOCALE, None]
    setattr(namespace, _SLOT, entry)
    return entry


def _forget() -> None:
    if has_app_context():
        g.pop(_SLOT, None)


@contextmanager
def force_locale(locale):
    """flask_babel.force_locale(), also switching current_locale() and translations()."""
    with flask_babel.force_locale(locale):
        _forget()
        try:
            yield
        finally:
            _forget()


def refresh() -> None:
    """flask_babel.refresh() (the user's language changed mid-request), for our slot too."""
    flask_babel.refresh()
    _forget()


def install_jinja_gettext(env) -> None:
    """`_()`, `gettext()` and `ngettext()` in templates: Jinja's newstyle callables (autoescaped,
    always %-formatted) reading the catalog through translations(), and without Markup's
    escaping helper when every variable is a number (~5 µs less per call, ~70 calls a page)."""
    env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    env.globals.update(_=_jinja_gettext, gettext=_jinja_gettext, ngettext=_jinja_ngettext)


@pass_context
def _jinja_gettext(context, string: str, /, **variables) -> str:
    return _interpolate(translations().ugettext(string), variables, context)


@pass_context
def _jinja_ngettext(context, singular: str, plural: str, num: int, /, **variables) -> str:
    variables.setdefault("num", num)
    return _interpolate(translations().ungettext(singular, plural, num), variables, context)


def _interpolate(message: str, variables: dict, context) -> str:
    if not context.eval_ctx.autoescape:
        return message % variables
    if all(isinstance(v, int | float) for v in variables.values()):  # nothing to escape
        return Markup(message % variables)
    return Markup(message) % variables


_TRANSLATED: dict[tuple[int, Locale], tuple[Mapping, dict]] = {}


def translated(labels: Mapping) -> dict:
    """A module-level {key: lazy_gettext(…)} mapping in the request's language, translated once
    per locale (the catalogs never change while a process runs): a LazyString is looked up
    again each time a template prints it (~6 µs)."""
    locale = current_locale()
    hit = _TRANSLATED.get((id(labels), locale))
    if hit is None or hit[0] is not labels:
        if len(_TRANSLATED) > 256:  # only module-level constants belong here; stay bounded
            _TRANSLATED.clear()
        hit = _TRANSLATED[id(labels), locale] = (labels, {k: str(v) for k, v in labels.items()})
    return hit[1]


def user_locale(user) -> str:
    """The language to write to a user in (mail, notifications): their setting, else the default."""
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else languages[0]


@lru_cache(maxsize=8)
def _country_codes() -> tuple[str, ...]:
    return tuple(sorted(c.alpha_2 for c in pycountry.countries))


def is_country(code: str | None) -> bool:
    return bool(code) and code.upper() in _country_codes()


@lru_cache(maxsize=16)
def _country_names(locale: Locale) -> dict[str, str]:
    """Every ISO country's name in `locale` (CLDR's, else pycountry's English one)."""
    names = locale.territories
    return {code: names.get(code) or pycountry.countries.get(alpha_2=code).name
            for code in _country_codes()}


def country_name(code: str | None) -> str:
    if not code:
        return ""
    code = code.upper()
    locale = current_locale()
    return _country_names(locale).get(code) or locale.territories.get(code) or code


def country_name_in(code: str | None, language: str) -> str:
    """A country's name in a given language, whatever the request's (the search index holds
    each country's name in every site language)."""
    if not code:
        return ""
    code = code.upper()
    return _country_names(_shared_locale(language)).get(code, "")


def country_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = sorted(_country_names(current_locale()).items(), key=lambda c: c[1])
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


# --- UN M49 sub-regions (search and list facets) -----------------------------------------------
# Which sub-region a country is in comes from country_converter's UN classification (M49); the
# names shown are CLDR's, in the reader's language, looked up by the region's M49 code. Three of
# country_converter's region names are spelled differently in CLDR.
_M49_SPELLINGS = {"South-eastern Asia": "Southeast Asia", "Australia and New Zealand": "Australasia",
                  "Micronesia": "Micronesian Region"}


@lru_cache(maxsize=1)
def _m49_codes_by_name() -> dict[str, str]:
    """CLDR's English names of the M49 regions (numeric territory codes) -> code."""
    return {name: code for code, name in Locale("en").territories.items() if code.isdigit()}


@lru_cache(maxsize=1)
def m49_subregions() -> dict[str, str]:
    """ISO 3166 alpha-2 country -> M49 sub-region code ("KE" -> "014", Eastern Africa)."""
    import country_converter  # pandas, ~1 s: loaded on first use, not at every start-up

    data = country_converter.CountryConverter().data
    codes = _m49_codes_by_name()
    out = {}
    for iso2, name in zip(data["ISO2"], data["UNregion"], strict=True):
        if isinstance(iso2, str) and isinstance(name, str):
            code = codes.get(_M49_SPELLINGS.get(name, name))
            if code:
                out[iso2.upper()] = code
    return out


def m49_region(country: str | None) -> str | None:
    """The M49 sub-region code of a country (None for unknown codes and Antarctica)."""
    return m49_subregions().get(country.upper()) if country else None


def m49_countries(region: str) -> list[str]:
    """The countries of an M49 sub-region, sorted (empty for an unknown code)."""
    return sorted(c for c, r in m49_subregions().items() if r == region)


def m49_name(region: str | None) -> str:
    """An M49 region's name in the request's language (the code itself when unknown)."""
    if not region:
        return ""
    return current_locale().territories.get(region) or Locale("en").territories.get(region) or region


def m49_choices(blank: str | None = None) -> list[tuple[str, str]]:
    """(code, localized name) of every M49 sub-region that has countries, by name."""
    choices = sorted(((code, m49_name(code)) for code in set(m49_subregions().values())),
                     key=lambda c: c[1])
    return ([("", blank)] if blank is not None else []) + choices


@lru_cache(maxsize=8)
def _language_codes() -> tuple[str, ...]:
    return tuple(sorted(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")))


def is_language(code: str | None) -> bool:
    return bool(code) and code.lower() in _language_codes()


@lru_cache(maxsize=16)
def _language_names(locale: Locale) -> dict[str, str]:
    """Every ISO 639-1 language's name in `locale` (CLDR's, else pycountry's English one)."""
    names = locale.languages
    return {code: names.get(code) or pycountry.languages.get(alpha_2=code).name
            for code in _language_codes()}


def language_name(code: str | None) -> str:
    if not code:
        return ""
    locale = current_locale()
    return (_language_names(locale).get(code.lower()) or locale.languages.get(code.lower())
            or code)


def language_choices() -> list[tuple[str, str]]:
    return sorted(((c, language_name(c)) for c in _language_codes()), key=lambda c: c[1])


def ui_language_choices() -> list[tuple[str, str]]:
    """The interface languages, each named in itself."""
    return _ui_language_choices(tuple(current_app.config["LANGUAGES"]))


@lru_cache(maxsize=8)
def _ui_language_choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(c, Locale.parse(c).get_display_name(c).capitalize()) for c in codes]


@lru_cache(maxsize=64)
def _number_pattern(locale: Locale, format: str | None):
    return parse_pattern(format if format is not None else locale.decimal_formats[None])


@lru_cache(maxsize=8192, typed=True)
def _format_number(value, format: str | None, locale: Locale) -> str:
    return _number_pattern(locale, format).apply(value, locale)


def format_number(value, format: str | None = None) -> str:
    """flask_babel.format_decimal, memoised: a number's text in a locale never changes, and a
    page of figures (the benchmark table and chart) formats the same values again and again.
    Zero is not memoised: -0.0 == 0.0, but Babel writes "-0" and "0"."""
    locale = current_locale()
    if not value:
        return _number_pattern(locale, format).apply(value, locale)
    return _format_number(value, format, locale)


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
        request.wtforms_translations = _wtforms_catalog(str(get_locale()))  # type: ignore[attr-defined]
