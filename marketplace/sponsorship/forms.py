"""Sponsorship forms: shape only; amounts are parsed and checked by the services."""

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from marketplace.gate import FlaskForm
from marketplace.i18n import country_choices
from marketplace.knowledge.models import THEMES
from marketplace.sponsorship.models import DONOR_KIND_LABELS


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


class PledgeForm(FlaskForm):
    amount = StringField(_l("Amount"), validators=[Length(max=40)])
    message = TextAreaField(_l("Message to the project (optional)"), validators=[Length(max=2000)])
    is_anonymous = BooleanField(_l("Give anonymously (your name is never shown publicly)"))
    # A one-time nonce: submitting the same form twice makes one pledge.
    idempotency_key = HiddenField()

    def __init__(self, *args, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if currency:
            self.amount.label.text = _l("Amount in %(currency)s", currency=currency)
        if not self.idempotency_key.data:
            self.idempotency_key.data = new_nonce()


class RecordPaymentForm(FlaskForm):
    reference = StringField(_l("Payment reference (optional)"), validators=[Length(max=120)],
                            description=_l("A bank transfer or grant reference, for the records."))


class DonorProfileForm(FlaskForm):
    kind = RadioField(_l("I give as"), choices=list(DONOR_KIND_LABELS.items()), default="individual")
    organization = SelectField(_l("Organization"), coerce=int, validators=[Optional()],
                               description=_l("Only when giving on behalf of an organization you belong to."))
    is_anonymous_by_default = BooleanField(_l("Give anonymously by default"))
    focus_themes = SelectMultipleField(_l("Themes you focus on"), choices=list(THEMES.items()),
                                       validators=[Optional()])
    focus_countries = SelectMultipleField(_l("Countries you focus on"), validators=[Optional()])
    country = SelectField(_l("Country of residence"), validators=[Optional()])
    tax_identifier = StringField(_l("Tax identifier (optional)"), validators=[Length(max=60)],
                                 description=_l("Printed on your receipts; never shown to anyone else."))

    def __init__(self, *args, organization_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization.choices = [(0, _l("— none —")), *organization_choices]
        self.focus_countries.choices = country_choices()
        self.country.choices = country_choices(blank=str(_l("— none —")))


class HostSettingsForm(FlaskForm):
    is_fiscal_host = BooleanField(_l("This organization acts as a fiscal host: it receives donations for "
                                     "the projects that name it and records them"))
    bank_account_holder = StringField(_l("Account holder"), validators=[Length(max=200)])
    iban = StringField(_l("IBAN"), validators=[Length(max=50)],
                       description=_l("Checked against the country's format and check digits."))
    bic = StringField(_l("BIC (SWIFT code)"), validators=[Length(max=20)])
    payment_instructions = TextAreaField(
        _l("Payment instructions"), validators=[Length(max=4000)],
        description=_l("Shown to donors on their pledge, e.g. other ways to pay. Donors always quote "
                       "their pledge's payment reference."))


class StatementForm(FlaskForm):
    statement = FileField(_l("Bank statement file"), validators=[FileRequired(_l("Choose a file."))])
    file_format = SelectField(_l("Format"), choices=[("mt940", "MT940 (SWIFT)"), ("csv", "CSV")])
    col_date = StringField(_l("CSV column: date (YYYY-MM-DD)"), default="date", validators=[Length(max=60)])
    col_amount = StringField(_l("CSV column: amount"), default="amount", validators=[Length(max=60)])
    col_currency = StringField(_l("CSV column: currency (or =EUR for a fixed one)"), default="currency",
                               validators=[Length(max=60)])
    col_payer = StringField(_l("CSV column: payer"), default="payer", validators=[Length(max=60)])
    col_details = StringField(_l("CSV column: details (reference, remittance)"), default="details",
                              validators=[Length(max=60)])
    col_transaction_id = StringField(_l("CSV column: bank transaction id"), default="transaction_id",
                                     validators=[Length(max=60)])
    decimal_mark = SelectField(_l("CSV amounts: decimal separator"), default="",
                               choices=[("", _l("Detect (refuse an amount that reads two ways)")),
                                        (",", _l("Comma: 1.234,50")), (".", _l("Point: 1,234.50"))])

    def csv_mapping(self) -> dict[str, str]:
        return {name: (getattr(self, f"col_{name}").data or "").strip()
                for name in ("date", "amount", "currency", "payer", "details", "transaction_id")}
