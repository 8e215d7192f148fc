"""Practice forms: they check shape only; services enforce the rules."""

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from sqlalchemy import func, select
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from marketplace.accounts.models import ORGANIZATION_TYPE_LABELS, Organization
from marketplace.extensions import db
from marketplace.gate import FlaskForm
from marketplace.i18n import country_choices, current_locale, language_choices, m49_choices
from marketplace.knowledge.models import (
    ENDORSEMENT_LABELS,
    LEVEL_LABELS,
    SECTION_LABELS,
    SECTIONS,
    THEMES,
)

_MD = _l("Markdown is supported.")
ADAPTATION_FIELDS = ("adaptation_country", "adaptation_context", "adaptation_rationale")
_OPTIONS_HTML: dict[tuple, str] = {}


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


@lru_cache(maxsize=32)
def _filter_choices(kind: str, locale: str) -> tuple[SelectChoice, ...]:
    """Country and language filter options per locale (~430 options: built once, not per
    request)."""
    any_ = str(_l("Any"))
    if kind == "country":
        return tuple(_choices(country_choices(blank=any_)))
    if kind == "region":  # UN M49 sub-regions, named by CLDR in the locale
        return tuple(_choices(m49_choices(blank=any_)))
    return tuple(_choices([("", any_), *language_choices()]))


def _section(name: str) -> TextAreaField:
    return TextAreaField(SECTION_LABELS[name], validators=[Length(max=50_000)], description=_MD)


class PracticeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=600)],
                            description=_l("One or two sentences shown in lists."))
    problem = _section("problem")
    context = _section("context")
    approach = _section("approach")
    results = _section("results")
    lessons = _section("lessons")
    countries = SelectMultipleField(_l("Countries"), validators=[Optional()])
    themes = SelectMultipleField(_l("Themes"), validators=[Optional()])
    tags = StringField(_l("Tags"), validators=[Length(max=500)],
                       description=_l("Comma-separated, e.g. open budgets, youth"))
    level = SelectField(_l("Level"), choices=_choices((k.value, v) for k, v in LEVEL_LABELS.items()))
    language = SelectField(_l("Language"), default="en")
    organizations = SelectMultipleField(_l("Organizations"), coerce=int, validators=[Optional()])
    licence = StringField(_l("Licence"), default="CC-BY-4.0", validators=[Length(max=40)])
    source_url = URLField(_l("Source URL"), validators=[Optional(), Length(max=1000)])
    # Shown only when editing an adaptation (drop_adaptation() removes them otherwise).
    adaptation_country = SelectField(_l("Adapted for"), validators=[Optional()])
    adaptation_context = TextAreaField(_l("Your context"), validators=[Length(max=5000)],
                                       description=_l("Where and for whom you apply it."))
    adaptation_rationale = TextAreaField(_l("What changed and why"),
                                         validators=[Length(max=5000)])
    coauthors = StringField(_l("Co-authors"), validators=[Length(max=2000)],
                            description=_l("Emails of members who edit it with you, "
                                           "comma-separated."))
    message = StringField(_l("Edit summary"), validators=[Length(max=300)],
                          description=_l("What did you change? Shown in the history."))
    # The revision the form was opened on: a save merges with what others saved since.
    base_revision = HiddenField(validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.countries.choices = _choices(country_choices())
        self.themes.choices = _choices(THEMES.items())
        self.language.choices = _choices(language_choices())
        self.adaptation_country.choices = _choices(country_choices(blank=str(_l("— choose —"))))
        self.organizations.choices = _choices(db.session.execute(
            select(Organization.id, Organization.name).order_by(func.lower(Organization.name))
        ).all())

    def data_dict(self) -> dict:
        """The fields this form shows (the service keeps the others as they are)."""
        return {name: getattr(self, name).data for name in (
            "title", "summary", *SECTIONS, "countries", "themes", "tags", "level", "language",
            "organizations", "licence", "source_url", *ADAPTATION_FIELDS) if name in self}

    def drop_adaptation(self) -> None:
        for name in ADAPTATION_FIELDS:
            delattr(self, name)

    def fill(self, data: dict) -> None:
        """Pre-fill from a practice snapshot (GET)."""
        for name, value in data.items():
            field = getattr(self, name, None)
            if field is not None and name != "message":
                field.data = ", ".join(value) if name == "tags" else value


class AdaptForm(FlaskForm):
    country = SelectField(_l("Country you adapt it to"), validators=[DataRequired()])
    context = TextAreaField(_l("Your context"), validators=[DataRequired(), Length(max=5000)],
                            description=_l("Where and for whom you apply it."))
    rationale = TextAreaField(_l("What changed and why"),
                              validators=[DataRequired(), Length(max=5000)])
    # Set once the adapter was shown their existing adaptation for the country: the next submit
    # creates another one.
    again = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = _choices(country_choices(blank=str(_l("— choose —"))))


class EndorseForm(FlaskForm):
    kind = RadioField(_l("Endorsement"), default="recommend",
                      choices=_choices((k.value, v) for k, v in ENDORSEMENT_LABELS.items()))
    comment = StringField(_l("Comment (optional)"), validators=[Length(max=500)])


class RejectForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class FilterForm(FlaskForm):
    """The browse filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()])
    theme = SelectField(_l("Theme"), validators=[Optional()])
    level = SelectField(_l("Level"), validators=[Optional()])
    org_type = SelectField(_l("Organization type"), validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=_choices([("", _l("Published")),
                                           ("draft", _l("Drafts I can see")),
                                           ("archived", _l("Archived"))]))
    sort = SelectField(_l("Sort by"), validators=[Optional()],
                       choices=_choices([("newest", _l("Newest")),
                                         ("endorsed", _l("Most endorsed")),
                                         ("adapted", _l("Most adapted"))]))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        any_ = str(_l("Any"))
        locale = str(current_locale())
        self.region.choices = list(_filter_choices("region", locale))
        self.country.choices = list(_filter_choices("country", locale))
        self.theme.choices = _choices([("", any_), *THEMES.items()])
        self.level.choices = _choices([("", any_), *LEVEL_LABELS.items()])
        self.org_type.choices = _choices([("", any_), *ORGANIZATION_TYPE_LABELS.items()])
        self.language.choices = list(_filter_choices("language", locale))


    def options(self, field) -> Markup:
        """The field's <option>s as HTML (every value and label escaped), the current one
        selected; built once per field and locale."""
        key = (field.name, str(current_locale()), len(field.choices))
        html = _OPTIONS_HTML.get(key)
        if html is None:  # the filter choices depend only on the field and the locale
            html = _OPTIONS_HTML[key] = "".join(
                f'<option value="{escape(c.value)}">{escape(c.label)}</option>'
                for c in field.choices)
        current = str(field.data or "")
        if current:
            marker = f'<option value="{escape(current)}">'
            html = html.replace(marker, marker[:-1] + " selected>", 1)
        return Markup(html)



class DiffForm(FlaskForm):
    """Choose two revisions to compare by number (GET, no CSRF): number inputs, not a list of
    every revision, so any two can be compared whatever history page the reader is on. The
    view renders it with `min=1, max=<latest number>`."""

    class Meta:
        csrf = False

    a = IntegerField(_l("From revision"))
    b = IntegerField(_l("To revision"))


IMPORT_KIND_LABELS = {"practices": _l("Practices"), "cases": _l("Case studies"),
                      "organizations": _l("Organizations")}


class ImportUploadForm(FlaskForm):
    """The admin upload page's first step: a file, what it holds, how its columns map."""

    file = FileField(_l("File (CSV or JSON Lines)"), validators=[FileRequired(_l("Choose a file."))])
    kind = SelectField(_l("What the file holds"))
    mapping = SelectField(_l("Column mapping"), validators=[Optional()],
                          description=_l("A shipped mapping, or columns named like the fields "
                                         "(see the import guide)."))
    format = SelectField(_l("Format"), validators=[Optional()],
                         choices=[("", _l("From the file name")), ("csv", "CSV"),
                                  ("jsonl", "JSON Lines")])

    def __init__(self, *args, mappings: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, str(v)) for k, v in IMPORT_KIND_LABELS.items()]
        self.mapping.choices = [("", str(_l("Columns named like the fields"))),
                                *((m, m) for m in mappings)]


class ImportConfirmForm(FlaskForm):
    """The second step: import the file the preview showed."""

    upload = HiddenField(validators=[DataRequired(), Length(max=80)])
