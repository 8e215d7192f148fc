"""Money as integer minor units: parse what people type, format it for their locale.

Amounts are never floats. `parse_amount` turns "1,250.50" into 125050 (for EUR) and refuses
anything ambiguous or absurd; `format_minor` turns 125050 back into "€1,250.50" (or "1 250,50 €").
"""

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, is_currency
from flask_babel import get_locale
from flask_babel import gettext as _

from marketplace.errors import InvalidInput

# The largest amount one pledge may carry, in major units (a sanity bound, not a policy).
MAX_MAJOR_UNITS = 10**10
# Digits, one optional decimal point, optional thousands separators (comma, space, apostrophe).
_AMOUNT = re.compile(r"^\d{1,3}(?:[ ,']\d{3})*(?:\.\d+)?$|^\d+(?:\.\d+)?$|^\.\d+$")
_CURRENCY_SUFFIX = re.compile(r"^(?P<amount>.*?)\s*(?P<code>[A-Za-z]{3})$")
_CURRENCY_PREFIX = re.compile(r"^(?P<code>[A-Za-z]{3})\s*(?P<amount>.*)$")


def precision(currency: str) -> int:
    """Decimals of an ISO 4217 currency (EUR 2, JPY 0, BHD 3)."""
    return get_currency_precision(currency)


def is_known_currency(code: str) -> bool:
    return bool(code) and len(code) == 3 and code.isupper() and is_currency(code)


def parse_amount(text: str | None, currency: str, field: str = "amount") -> int:
    """The positive amount typed by a person, in minor units of `currency`.

    Raises InvalidInput (on `field`) for empty text, words, exponents, NaN/infinity, negatives,
    zero, more decimals than the currency has, absurd sizes and another currency's code.
    """
    raw = _strip_currency((text or "").strip(), currency, field)
    if not raw:
        raise InvalidInput(field, _("Enter an amount."))
    if raw.startswith("-"):
        raise InvalidInput(field, _("The amount must be positive."))
    if not _AMOUNT.match(raw):
        raise InvalidInput(field, _("Enter an amount in figures, for example 25 or 25.50."))
    try:
        value = Decimal(re.sub(r"[ ,']", "", raw))
    except InvalidOperation:  # pragma: no cover - the pattern already refused it
        raise InvalidInput(field, _("Enter an amount in figures, for example 25 or 25.50.")) from None
    return to_minor(value, currency, field)


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
        if match and is_currency(match["code"].upper()):
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


def plain_minor(amount_minor: int, currency: str) -> str:
    """125050, "EUR" -> "1250.50": for CSV exports and form values (no locale, no symbol)."""
    return f"{to_decimal(amount_minor, currency):f}"
