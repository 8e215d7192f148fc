import pytest

from marketplace.errors import InvalidInput
from marketplace.ledger.money import format_minor, input_minor, parse_amount, plain_minor


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


@pytest.mark.parametrize("locale, text, currency, minor", [
    ("en", "1,250.50", "EUR", 125050), ("en", "1,250", "EUR", 125000), ("en", "1 250.50", "EUR", 125050),
    ("fr", "1 250,50", "EUR", 125050), ("fr", "1\u202f250,50", "EUR", 125050), ("fr", "1\xa0250,50", "EUR", 125050),
    ("fr", "12,5", "EUR", 1250), ("fr", "1,25", "EUR", 125), ("fr", "12.5", "EUR", 1250),
    ("fr", "25,50 EUR", "EUR", 2550), ("fr", "1,234", "BHD", 1234),
    ("es", "12,5", "EUR", 1250), ("es", "1.250,50", "EUR", 125050), ("es", "1 250,50", "EUR", 125050),
    ("es", "1.250", "EUR", 125000), ("es", "1,25", "EUR", 125),
])
def test_parses_the_numbers_of_the_readers_locale(app, locale, text, currency, minor):
    assert parse_amount(text, currency, locale=locale) == minor


@pytest.mark.parametrize("locale, text, message", [
    ("en", "12,5", "“12,5” can be read two ways: write 125 or 12.5."),
    ("en", "1,25", "“1,25” can be read two ways: write 125 or 1.25."),
    ("es", "12.5", "“12.5” can be read two ways: write 125 or 12,5."),
    ("fr", "1.250", "“1.250” can be read two ways: write 1\u202f250 or 1,25."),
    ("fr", "10,005", "EUR has at most 2 decimals."),
    ("es", "10,005", "EUR has at most 2 decimals."),
    ("fr", "1e3", "in figures"), ("es", "1e3", "in figures"), ("fr", "-5", "must be positive"),
    ("fr", "NaN", "in figures"), ("es", "１２", "in figures"), ("en", "１２", "in figures"),
    ("fr", "1.250,50", "in figures"), ("es", "1,2,3", "in figures"),
    # a third decimal zero that EUR never has: a thousand written the European way, not 1 or 1.5
    ("en", "1.000", "“1.000” can be read two ways: write 1,000 or 1."),
    ("en", "1.500", "“1.500” can be read two ways: write 1,500 or 1.5."),
    ("es", "1,000", "“1,000” can be read two ways: write 1.000 or 1."),
    ("fr", "1,250", "“1,250” can be read two ways: write 1\u202f250 or 1,25."),
    ("en", "10.005", "EUR has at most 2 decimals."),
    # a currency code alone is a word, not an amount in that currency (ALL, XXX)
    ("en", "all", "in figures"), ("en", "xxxxx", "in figures"),
])
def test_refuses_ambiguous_and_bad_amounts_in_every_locale(app, locale, text, message):
    with pytest.raises(InvalidInput) as err:
        parse_amount(text, "EUR", locale=locale)
    assert message in err.value.message


def test_three_decimals_stay_decimals_where_the_currency_has_them(app):
    assert parse_amount("1.000", "KWD", locale="en") == 1000


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
@pytest.mark.parametrize("minor, currency", [(125050, "EUR"), (1234567, "BHD"), (1000, "JPY"), (5, "EUR")])
def test_form_values_read_back_in_their_locale(app, locale, minor, currency):
    assert parse_amount(input_minor(minor, currency, locale), currency, locale=locale) == minor
