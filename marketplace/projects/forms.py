"""Project forms: they check shape only; money is parsed and rules enforced by the services."""

from datetime import UTC, datetime, time

import pycountry
from babel.numbers import get_currency_name
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional

from marketplace.gate import FlaskForm
from marketplace.i18n import country_choices
from marketplace.knowledge.models import THEMES
from marketplace.projects.models import FUNDING_MODEL_LABELS, KIND_LABELS

COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY", "KES", "XOF", "INR", "BRL", "COP", "NGN",
                     "UAH", "DKK")


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def currency_choices() -> list[tuple[str, str]]:
    locale = str(get_locale() or "en")
    codes = sorted(c.alpha_3 for c in pycountry.currencies)
    ordered = [*COMMON_CURRENCIES, *(c for c in codes if c not in COMMON_CURRENCIES)]
    return choices((c, f"{c} — {get_currency_name(c, locale=locale)}") for c in ordered)


def end_of_day(value) -> datetime | None:
    return datetime.combine(value, time(23, 59, 59), tzinfo=UTC) if value else None


def as_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value else None


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices((k.value, v) for k, v in KIND_LABELS.items()))
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=500)],
                            description=_l("One or two sentences shown in lists."))
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)],
                                description=_l("Markdown is supported."))
    currency = SelectField(_l("Currency"))
    goal = StringField(_l("Funding goal"), validators=[DataRequired()],
                       description=_l("In the currency above, e.g. 25000 or 25000.50."))
    funding_model = SelectField(
        _l("Funding model"), choices=choices((k.value, v) for k, v in FUNDING_MODEL_LABELS.items()),
        description=_l("All or nothing: every contribution is refunded if the goal is not met "
                       "by the deadline."))
    deadline = DateField(_l("Funding deadline"), validators=[DataRequired()])
    countries = SelectMultipleField(_l("Countries"), validators=[Optional()])
    themes = SelectMultipleField(_l("Themes"), validators=[Optional()])
    practices = SelectMultipleField(_l("Practices it implements or adapts"), coerce=int,
                                    validators=[Optional()],
                                    description=_l("Published practices on this site."))
    organization = SelectField(_l("On behalf of an organization"), coerce=int,
                               validators=[Optional()])
    community = SelectField(_l("For a community of practice"), coerce=int,
                            validators=[Optional()])
    host = SelectField(_l("Fiscal host"), coerce=int, validators=[Optional()],
                       description=_l("The organization that receives the donors' money for this project "
                                      "and records each payment. Donors see its payment instructions."))
    starts_at = DateTimeLocalField(_l("Event starts (UTC)"), validators=[Optional()],
                                   description=_l("Events only."))
    ends_at = DateTimeLocalField(_l("Event ends (UTC)"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    is_online = BooleanField(_l("The event is online"))

    def __init__(self, *args, practice_choices=(), organization_choices=(), community_choices=(),
                 host_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = currency_choices()
        self.countries.choices = choices(country_choices())
        self.themes.choices = choices((k, str(v)) for k, v in THEMES.items())
        self.practices.choices = choices(practice_choices)
        self.organization.choices = choices([(0, str(_l("— none —"))), *organization_choices])
        self.community.choices = choices([(0, str(_l("— none —"))), *community_choices])
        self.host.choices = choices([(0, str(_l("— none: a site administrator records payments —"))),
                                     *host_choices])


class BudgetLineForm(FlaskForm):
    item = StringField(_l("Budget item"), validators=[DataRequired(), Length(max=200)])
    amount = StringField(_l("Amount"), validators=[DataRequired()])


class ObjectiveForm(FlaskForm):
    title = StringField(_l("Objective"), validators=[DataRequired(), Length(max=200)])
    indicator = StringField(_l("Indicator"), validators=[DataRequired(), Length(max=200)],
                            description=_l("What you measure, e.g. share of schools publishing "
                                           "budgets."))
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    baseline = FloatField(_l("Baseline"), validators=[InputRequired()])
    target = FloatField(_l("Target"), validators=[InputRequired()],
                        description=_l("Above the baseline means higher is better."))
    due_at = DateField(_l("Due date"), validators=[DataRequired()])
    tranche = StringField(_l("Tranche released when verified"), validators=[Optional()],
                          description=_l("Part of the goal paid out when a reviewer verifies "
                                         "this objective."))


class ReviewForm(FlaskForm):
    reason = TextAreaField(_l("Reason for sending it back"), validators=[Length(max=2000)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why is the project cancelled?"), validators=[Length(max=2000)])


class ReviewerForm(FlaskForm):
    email = StringField(_l("Reviewer's email"), validators=[DataRequired(), Length(max=254)])


class ProgressReportBase(FlaskForm):
    body = TextAreaField(_l("What happened since the last report?"),
                         validators=[Length(max=20000)], description=_l("Markdown is supported."))


def progress_report_form(objectives, **kwargs) -> FlaskForm:
    """A report form with an actual value and an evidence link for each objective. Built per
    request, so the labels are plain text (gettext, not a LazyString, which Jinja would take for
    markup with the user's indicator name in it)."""

    class ProgressReportForm(ProgressReportBase):
        pass

    for o in objectives:
        setattr(ProgressReportForm, f"actual_{o.id}", FloatField(
            _("%(indicator)s: actual value", indicator=o.indicator), validators=[Optional()],
            description=o.unit))
        setattr(ProgressReportForm, f"evidence_{o.id}", URLField(
            _("Evidence link for %(indicator)s", indicator=o.indicator),
            validators=[Optional(), URL(require_tld=False), Length(max=500)]))
    return ProgressReportForm(**kwargs)
