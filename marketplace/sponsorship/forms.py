"""Sponsorship forms: shape only; amounts are parsed and checked by the services."""

import secrets

from flask_babel import lazy_gettext as _l
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
