import pytest

from marketplace.errors import InvalidInput
from marketplace.ledger.money import format_minor, parse_amount, plain_minor


@pytest.mark.parametrize("text, currency, minor", [
    ("10", "EUR", 1000), ("10.5", "EUR", 1050), ("10.05", "EUR", 1005), ("1,250.50", "EUR", 125050),
    ("0.01", "EUR", 1), ("25 EUR", "EUR", 2500), ("EUR 25", "EUR", 2500), ("1000", "JPY", 1000),
    ("1.234", "BHD", 1234), (" 7 ", "USD", 700),
])
def test_parses_to_minor_units(app, text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize("text, currency, message", [
    ("10.005", "EUR", "at most 2 decimals"),
    ("10.5", "JPY", "has no decimals"),
    ("-5", "EUR", "must be positive"),
    ("1e3", "EUR", "in figures"),
    ("abc", "EUR", "in figures"),
    ("NaN", "EUR", "in figures"),
    ("inf", "EUR", "in figures"),
    ("", "EUR", "Enter an amount"),
    ("   ", "EUR", "Enter an amount"),
    (None, "EUR", "Enter an amount"),
    ("0", "EUR", "more than zero"),
    ("0.00", "EUR", "more than zero"),
    (str(10**20), "EUR", "too large"),
    ("10 USD", "EUR", "in EUR"),
    ("USD 10", "EUR", "in EUR"),
    ("1,2,3", "EUR", "in figures"),
])
def test_refuses_bad_amounts_with_a_clear_message(app, text, currency, message):
    with pytest.raises(InvalidInput) as err:
        parse_amount(text, currency)
    assert err.value.field == "amount"
    assert message in err.value.message


def test_formats_per_locale(app):
    assert format_minor(125050, "EUR", "en") == "€1,250.50"
    assert format_minor(125050, "EUR", "fr").replace("\u202f", " ").replace("\xa0", " ") == "1 250,50 €"
    assert format_minor(1000, "JPY", "en") == "¥1,000"
    assert plain_minor(125050, "EUR") == "1250.50"
    assert plain_minor(7, "BHD") == "0.007"
