"""Mentoring forms (shape only)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.accounts.models import ORGANIZATION_TYPE_LABELS
from marketplace.gate import FlaskForm
from marketplace.i18n import country_choices, language_choices

RATING_CHOICES = [("", _l("No rating")), ("5", "5"), ("4", "4"), ("3", "3"), ("2", "2"), ("1", "1")]


class OfferForm(FlaskForm):
    topics = StringField(_l("Topics you can mentor on"), validators=[DataRequired(), Length(max=500)],
                         description=_l("Comma-separated, e.g. participatory budgeting, open data"))
    languages = SelectMultipleField(_l("Languages you mentor in"), validators=[Optional()])
    capacity = IntegerField(_l("How many mentees at once"), default=2,
                            validators=[DataRequired(), NumberRange(min=1, max=50)])
    availability = StringField(_l("Availability"), validators=[Length(max=200)],
                               description=_l("e.g. two hours a month, evenings UTC"))
    is_open = BooleanField(_l("I am taking new mentees"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = language_choices()


class FindMentorForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=60)])
    language = SelectField(_l("Language"), validators=[Optional()])
    goal = TextAreaField(_l("What do you want to achieve?"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [("", _l("Any language"))] + language_choices()


class RequestForm(FlaskForm):
    mentor_id = HiddenField(validators=[DataRequired()])
    topic = HiddenField(validators=[DataRequired(), Length(max=60)])
    language = HiddenField()
    goal = TextAreaField(_l("What do you want to achieve?"), validators=[DataRequired(), Length(max=2000)])


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to the mentee)"), validators=[Optional(), Length(max=1000)])


class FeedbackForm(FlaskForm):
    feedback = TextAreaField(_l("Your feedback"), validators=[DataRequired(), Length(max=4000)])
    rating = SelectField(_l("Rating"), choices=RATING_CHOICES, validators=[Optional()])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=10000)],
                         description=_l("Markdown is supported."))


class DirectoryForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter form

    tag = StringField(_l("Expertise"), validators=[Optional(), Length(max=60)])
    country = SelectField(_l("Country"), validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()])
    org_type = SelectField(_l("Organization type"), validators=[Optional()])
    available = BooleanField(_l("Available to mentor"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(blank=str(_l("Any country")))
        self.language.choices = [("", _l("Any language"))] + language_choices()
        self.org_type.choices = [("", _l("Any type"))] + [(k.value, v) for k, v in ORGANIZATION_TYPE_LABELS.items()]
