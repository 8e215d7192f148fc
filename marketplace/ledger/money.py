"""Money as integer minor units: parse what people type, format it for their locale.

Amounts are never floats. `parse_amount` reads what was typed in the person's locale ("1,250.50"
in English, "1 250,50" in French, "1.250,50" in Spanish: 125050 for EUR) and refuses anything
ambiguous or absurd; `format_minor` turns 125050 back into "€1,250.50" (or "1 250,50 €").
"""

import re
from decimal import Decimal

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
    is_currency,
    parse_decimal,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from marketplace.errors import InvalidInput

# The largest amount one pledge may carry, in major units (a sanity bound, not a policy).
MAX_MAJOR_UNITS = 10**10
# ASCII digits and separators only: no signs, exponents, NaN or other scripts' digits.
_FIGURES = re.compile(r"^[0-9.,\u0020\u00a0\u202f]+$")
_SPACES = re.compile(r"[\u0020\u00a0\u202f]")  # a space between digits groups them, in any locale
_CURRENCY_SUFFIX = re.compile(r"^(?P<amount>.*?)\s*(?P<code>[A-Za-z]{3})$")
_CURRENCY_PREFIX = re.compile(r"^(?P<code>[A-Za-z]{3})\s*(?P<amount>.*)$")


def precision(currency: str) -> int:
    """Decimals of an ISO 4217 currency (EUR 2, JPY 0, BHD 3)."""
    return get_currency_precision(currency)


def is_known_currency(code: str) -> bool:
    return bool(code) and len(code) == 3 and code.isupper() and is_currency(code)


def parse_amount(text: str | None, currency: str, field: str = "amount", locale: str = "en") -> int:
    """The positive amount typed by a person writing numbers as in `locale`, in minor units.

    Raises InvalidInput (on `field`) for empty text, words, exponents, NaN/infinity, negatives,
    zero, more decimals than the currency has, absurd sizes, another currency's code, and text
    that reads two ways ("12,5" in English, "1.250" in French: say which).
    """
    raw = _strip_currency((text or "").strip(), currency, field)
    if not raw:
        raise InvalidInput(field, _("Enter an amount."))
    if raw.startswith("-"):
        raise InvalidInput(field, _("The amount must be positive."))
    if not _FIGURES.match(raw):
        raise InvalidInput(field, _("Enter an amount in figures, for example 25 or 25.50."))
    parsed = Locale.parse(locale or "en")
    _refuse_grouping_read_as_decimals(raw, parsed, currency, field)
    return to_minor(_parse_decimal(raw, parsed, field), currency, field)


def _refuse_grouping_read_as_decimals(raw: str, locale: Locale, currency: str, field: str) -> None:
    """"1.000" in English is 1 by the locale's rules, but a currency with fewer than 3 decimals
    has no use for a third decimal zero: many people write a thousand that way. Ask."""
    decimal, digits = get_decimal_symbol(locale), precision(currency)
    match = re.fullmatch(rf"\d{{1,3}}{re.escape(decimal)}(\d{{3}})", raw)
    # "1.005" is refused anyway (too many decimals); "1.000" and "1.500" would pass as 1 and 1.5
    if digits < 3 and match and set(match[1][digits:]) == {"0"}:
        readings = [raw.replace(decimal, ""), raw.replace(decimal, ".")]
        raise _two_ways(field, raw, [format_decimal(Decimal(r), locale=locale) for r in readings])


def _parse_decimal(raw: str, locale: Locale, field: str) -> Decimal:
    """Babel's strict parsing in `locale`; a separator the locale does not use ("." in French)
    is a decimal point, unless three digits follow it: then it could group thousands too."""
    decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)
    raw = _SPACES.sub(group, raw)
    for foreign in {".", ","} - {decimal, group}:
        if re.fullmatch(rf"\d{{1,3}}{re.escape(foreign)}\d{{3}}", raw):
            readings = [raw.replace(foreign, ""), raw.replace(foreign, ".")]
            raise _two_ways(field, raw, [format_decimal(Decimal(r), locale=locale) for r in readings])
    try:
        return parse_decimal(raw, locale, strict=True)
    except NumberFormatError as err:
        if len(err.suggestions or []) >= 2:
            raise _two_ways(field, raw, err.suggestions[:2]) from None
        raise InvalidInput(field, _("Enter an amount in figures, for example 25 or 25.50.")) from None


def _two_ways(field: str, raw: str, readings: list[str]) -> InvalidInput:
    return InvalidInput(field, _("“%(text)s” can be read two ways: write %(one)s or %(other)s.",
                                 text=raw, one=readings[0], other=readings[1]))


def to_minor(value: Decimal, currency: str, field: str = "amount") -> int:
    """A finite, positive Decimal in major units -> int minor units, refusing excess decimals."""
    if not value.is_finite():
        raise InvalidInput(field, _("Enter an amount in figures, for example 25 or 25.50."))
    if value <= 0:
        raise InvalidInput(field, _("The amount must be more than zero."))
    if value >= MAX_MAJOR_UNITS:
        raise InvalidInput(field, _("This amount is too large."))
    digits = precision(currency)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        if digits == 0:
            raise InvalidInput(field, _("%(currency)s has no decimals.", currency=currency))
        raise InvalidInput(
            field, _("%(currency)s has at most %(n)d decimals.", currency=currency, n=digits)
        )
    return int(minor)


def _strip_currency(raw: str, currency: str, field: str) -> str:
    """Allow "25 EUR" or "EUR 25" for the right currency; refuse another currency's code."""
    for pattern in (_CURRENCY_SUFFIX, _CURRENCY_PREFIX):
        match = pattern.match(raw)
        # a code with no figures beside it ("all", "xxx") is a word, not an amount in ALL or XXX
        if match and re.search(r"\d", match["amount"]) and is_currency(match["code"].upper()):
            if match["code"].upper() != currency:
                raise InvalidInput(
                    field, _("Amounts for this project are in %(currency)s.", currency=currency)
                )
            return match["amount"].strip()
    return raw


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-precision(currency))


def format_minor(amount_minor: int, currency: str, locale: str | None = None) -> str:
    """125050, "EUR" -> "€1,250.50" in the request's locale (or `locale`)."""
    locale = locale or str(get_locale() or "en")
    return format_currency(to_decimal(amount_minor, currency), currency, locale=locale)


def input_minor(amount_minor: int, currency: str, locale: str = "en") -> str:
    """125050, "EUR" -> "1250.50" (en), "1250,50" (fr): a form value that parse_amount reads back."""
    digits = precision(currency)
    pattern = "0." + "0" * digits if digits else "0"
    return format_decimal(to_decimal(amount_minor, currency), format=pattern, locale=locale)


def plain_minor(amount_minor: int, currency: str) -> str:
    """125050, "EUR" -> "1250.50": for CSV exports and form values (no locale, no symbol)."""
    return f"{to_decimal(amount_minor, currency):f}"


# --- amounts written by banks ------------------------------------------------------------------

# Spaces, no-break spaces and apostrophes only ever group digits ("1 000,00", "1'000.00").
_BANK_GROUPING = re.compile(r"[\s\u00a0\u202f'\u2019]")
_BANK_FIGURES = re.compile(r"\d[\d.,]*\d|\d")
DECIMAL_MARKS = (".", ",")


class AmbiguousAmount(ValueError):
    """A lone "." or "," followed by three digits: "1.000" is one thousand or one."""


def _bank_figures(text: str) -> tuple[int, str]:
    """(sign, figures) of a bank amount; ValueError unless it is digits and separators with an
    optional sign in front ("-12,50") or behind ("12,50-"): no NaN, infinity or exponent."""
    raw = _BANK_GROUPING.sub("", text or "")
    sign = 1
    if raw[:1] in ("+", "-") and raw:
        sign, raw = (-1 if raw[0] == "-" else 1), raw[1:]
    elif raw.endswith("-"):
        sign, raw = -1, raw[:-1]
    if not _BANK_FIGURES.fullmatch(raw):
        raise ValueError(text)
    return sign, raw


def bank_decimal_mark(text: str) -> str | None:
    """The decimal mark an amount's own figures show: the last separator when both kinds appear
    ("1.000,00" -> ","), the other one when one kind repeats ("1.000.000" -> ","), the lone one
    unless exactly three digits follow it ("12,5" -> ","); None when nothing tells (no separator,
    or "1,000"). ValueError when it is not a number."""
    _sign, raw = _bank_figures(text)
    marks = [c for c in raw if c in DECIMAL_MARKS]
    if not marks:
        return None
    if len(set(marks)) == 2:
        return marks[-1]
    if len(marks) > 1:
        return "," if marks[0] == "." else "."
    head, tail = raw.split(marks[0])
    return marks[0] if len(tail) != 3 or head == "0" else None


def parse_bank_amount(text: str, decimal_mark: str | None = None) -> Decimal:
    """A signed amount as banks export it, in major units: "1000.00", "1,000.00", "1.000,00",
    "1 000,00", "-12,50". `decimal_mark` ("." or ","), when known (chosen, or shown by the file's
    other amounts), decides; else the figures must show it themselves (see bank_decimal_mark).
    Raises AmbiguousAmount for "1.000" with no mark known, ValueError for anything not a number
    or badly grouped ("1.00.0")."""
    sign, raw = _bank_figures(text)
    mark = decimal_mark or bank_decimal_mark(raw)
    if mark is None:
        if any(c in DECIMAL_MARKS for c in raw):
            raise AmbiguousAmount(text)
        return Decimal(sign * int(raw))
    group = "," if mark == "." else "."
    whole, _, fraction = raw.partition(mark)
    if mark in fraction or group in fraction:
        raise ValueError(text)
    if group in whole and not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+", whole):
        raise ValueError(text)
    value = Decimal(f"{whole.replace(group, '')}.{fraction or '0'}")
    return -value if sign < 0 else value
