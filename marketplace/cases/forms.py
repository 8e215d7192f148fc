"""Case-study and metric-definition forms: shape only; services enforce the rules."""

from decimal import Decimal, InvalidOperation
from math import isfinite
from types import SimpleNamespace

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, Optional

from marketplace import policy
from marketplace.accounts.models import Organization, OrganizationMember
from marketplace.accounts.permissions import is_moderator
from marketplace.cases.models import DIRECTION_LABELS, SECTIONS, MetricDefinition
from marketplace.cases.services import CaseInput, MetricInput
from marketplace.extensions import db
from marketplace.gate import FlaskForm, Form, number_problem
from marketplace.i18n import country_choices, language_choices
from marketplace.knowledge.models import STATUS_LABELS


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


METRIC_ROWS = 3  # empty rows offered beyond the ones already filled
MARKDOWN_HINT = _l("Markdown is supported.")


class NumberText(StringField):
    """A number typed as text: '12.5', '1,234.5', or in the reader's locale ('12,5' in French).

    `data` is a float or None; anything else becomes a field error, never an exception."""

    raw = ""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        try:
            value = parse_decimal(self.raw, locale=get_locale() or "en", strict=True)
        except (NumberFormatError, InvalidOperation):
            try:
                value = Decimal(self.raw)
            except InvalidOperation:
                raise ValueError(_l("Enter a number, for example 12.5.")) from None
        if not value.is_finite() or not isfinite(float(value)):
            raise ValueError(_l("Enter a number, for example 12.5."))
        problem = number_problem(float(value))
        if problem:
            raise ValueError(problem)
        self.data = float(value)

    def _value(self):
        if self.process_errors:
            return self.raw
        if self.data is None:
            return ""
        try:
            return format_decimal(self.data, format="0.##########", locale=get_locale() or "en")
        except (InvalidOperation, ValueError, OverflowError):  # a value stored before the bounds
            return repr(self.data)


class MetricRowForm(Form):
    """One metric row; a row with no metric chosen and no values is ignored."""

    definition = SelectField(_l("Metric"), choices=[], validators=[Optional()])
    baseline = NumberText(_l("Baseline"))
    result = NumberText(_l("Result"))
    target = NumberText(_l("Target (optional)"))
    period_label = StringField(_l("Period"), validators=[Length(max=60)])
    evidence_url = URLField(_l("Evidence link"), validators=[Optional(), URL(), Length(max=1000)])

    @property
    def is_blank(self) -> bool:
        return not any((self.definition.data, self.baseline.raw, self.result.raw,
                        self.target.raw, self.period_label.data, self.evidence_url.data))

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank:
            return True
        ok = super().validate(extra_validators)
        if not self.definition.data:
            self.definition.errors = [*self.definition.errors, _l("Choose the metric measured.")]
            ok = False
        for f in (self.baseline, self.result):
            if f.data is None and not f.errors:
                f.errors = [*f.errors, _l("Enter a number.")]
                ok = False
        return ok


class CaseStudyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=600)],
                            description=_l("One or two sentences shown in lists."))
    practices = TextAreaField(
        _l("Practices applied"), validators=[Length(max=5000)],
        description=_l("One practice per line: its address or the last part of it."))
    organization_id = SelectField(_l("Organization"), choices=[], validators=[Optional()])
    country = SelectField(_l("Country"), choices=[], validators=[Optional()])
    period_start = DateField(_l("Period start"), validators=[Optional()])
    period_end = DateField(_l("Period end"), validators=[Optional()])
    context = TextAreaField(_l("Context"), validators=[Length(max=50_000)],
                            description=MARKDOWN_HINT)
    implementation = TextAreaField(_l("Implementation"), validators=[Length(max=50_000)],
                                   description=MARKDOWN_HINT)
    results = TextAreaField(_l("Results"), validators=[Length(max=50_000)],
                            description=MARKDOWN_HINT)
    lessons = TextAreaField(_l("Lessons"), validators=[Length(max=50_000)],
                            description=MARKDOWN_HINT)
    language = SelectField(_l("Language"), choices=[], default="en")
    source_url = URLField(_l("Source URL"), validators=[Optional(), URL(), Length(max=1000)])
    coauthors = StringField(_l("Co-authors"), validators=[Length(max=2000)],
                            description=_l("Email addresses of members, separated by commas."))
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS.items()), default="draft",
                         description=_l("Drafts are seen only by authors and moderators."))
    metrics = FieldList(FormField(MetricRowForm), min_entries=METRIC_ROWS)
    message = StringField(_l("Summary of this change"), validators=[Length(max=300)])
    add_row = SubmitField(_l("Add a metric row"))
    # The revision an edit form was opened on: a save merges with what others saved since.
    base_revision = HiddenField(validators=[Optional()])


class MetricDefinitionForm(FlaskForm):
    slug = StringField(
        _l("Slug"), validators=[DataRequired(), Length(max=80)],
        description=_l("Stable identifier used in links, e.g. response-time-days. "
                       "It cannot be changed later."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    unit = StringField(_l("Unit"), validators=[Length(max=40)],
                       description=_l("For example: %, days, per 1,000 residents."))
    name_fr = StringField(_l("Name in French"), validators=[Length(max=120)],
                          description=_l("Shown to readers who use the site in French; empty: the "
                                         "English name."))
    unit_fr = StringField(_l("Unit in French"), validators=[Length(max=40)])
    name_es = StringField(_l("Name in Spanish"), validators=[Length(max=120)],
                          description=_l("Shown to readers who use the site in Spanish; empty: the "
                                         "English name."))
    unit_es = StringField(_l("Unit in Spanish"), validators=[Length(max=40)])
    direction = SelectField(_l("Which way is better?"), choices=_choices(DIRECTION_LABELS.items()))
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)],
                                description=MARKDOWN_HINT)

    def translations(self) -> dict:
        """The per-language name and unit, as MetricDefinition.translations stores them."""
        out = {}
        for lang in ("fr", "es"):
            fields = {"name": (self[f"name_{lang}"].data or "").strip(),
                      "unit": (self[f"unit_{lang}"].data or "").strip()}
            if any(fields.values()):
                out[lang] = {k: v for k, v in fields.items() if v}
        return out

    def fill_translations(self, translations: dict) -> None:
        for lang in ("fr", "es"):
            for field in ("name", "unit"):
                self[f"{field}_{lang}"].data = (translations or {}).get(lang, {}).get(field, "")


# --- between forms and services -------------------------------------------------------------

def set_choices(form: CaseStudyForm, user, case) -> None:
    orgs = select(Organization).order_by(func.lower(Organization.name))
    if not is_moderator(user):
        mine = select(OrganizationMember.organization_id).where(OrganizationMember.user_id == user.id)
        current = case.organization_id if case is not None else None
        orgs = orgs.where(Organization.id.in_(mine) | (Organization.id == current))
    form.organization_id.choices = _choices([("", _l("None"))] + [
        (o.id, o.name) for o in db.session.scalars(orgs)])
    form.country.choices = _choices(country_choices(blank=str(_l("Choose a country"))))
    form.language.choices = _choices(language_choices())
    definitions = _choices([("", _l("Choose a metric"))] + [
        (d.slug, f"{d.label} ({d.unit_label})" if d.unit else d.label)
        for d in db.session.scalars(select(MetricDefinition).order_by(MetricDefinition.name))])
    if form.add_row.data:
        form.metrics.append_entry()
    while sum(1 for row in form.metrics if row.form.is_blank) < 1:
        form.metrics.append_entry()
    for row in form.metrics:
        row.form.definition.choices = definitions


def fill_form(form: CaseStudyForm, case) -> None:
    """Pre-fill an edit form from the case study (GET)."""
    for name in ("title", "summary", "country", "period_start", "period_end", "language",
                 "source_url", "status"):
        getattr(form, name).data = getattr(case, name)
    form.organization_id.data = str(case.organization_id or "")
    for section in SECTIONS:
        getattr(form, section).data = getattr(case, f"{section}_source")
    form.practices.data = "\n".join(p.slug for p in case.practices if policy.is_public("practice", p))
    form.coauthors.data = ", ".join(u.email for u in case.coauthors)
    while len(form.metrics):
        form.metrics.pop_entry()
    for m in case.metrics:
        form.metrics.append_entry(SimpleNamespace(
            definition=m.definition.slug, baseline=m.baseline, result=m.result, target=m.target,
            period_label=m.period_label, evidence_url=m.evidence_url))
    for _i in range(METRIC_ROWS):
        form.metrics.append_entry()


def _practice_slug(line: str) -> str:
    return line.strip().rstrip("/").rsplit("/", 1)[-1]


def case_input(form: CaseStudyForm):
    rows = [row.form for row in form.metrics if not row.form.is_blank]
    return CaseInput(
        title=form.title.data, summary=form.summary.data or "",
        organization_id=int(form.organization_id.data) if form.organization_id.data else None,
        country=form.country.data or None, period_start=form.period_start.data,
        period_end=form.period_end.data, status=form.status.data,
        language=form.language.data, source_url=form.source_url.data or "",
        **{s: getattr(form, s).data or "" for s in SECTIONS},
        practice_slugs=[_practice_slug(line) for line in (form.practices.data or "").splitlines()
                        if line.strip()],
        coauthor_emails=[e for e in (form.coauthors.data or "").split(",") if e.strip()],
        metrics=[MetricInput(r.definition.data, r.baseline.data, r.result.data, r.target.data,
                             r.period_label.data or "", r.evidence_url.data or "")
                 for r in rows],
    )
