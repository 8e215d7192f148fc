"""Community forms: shape only; services enforce the rules."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from marketplace.communities.models import ROLE_LABELS
from marketplace.gate import FlaskForm
from marketplace.i18n import country_choices


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class CommunityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Web address"), validators=[Optional(), Length(max=100), Regexp(r"^[a-z0-9-]+$")],
        description=_l("Lower-case letters, digits and dashes; left empty, it is made from the "
                       "name."))
    description = TextAreaField(_l("Description"), validators=[Length(max=20_000)],
                                description=_l("What the community is about. Markdown."))
    themes = StringField(_l("Themes"), validators=[Length(max=500)],
                         description=_l("Comma-separated, e.g. participatory budgeting, water."))
    countries = SelectMultipleField(
        _l("Countries"), description=_l("Two or more make it a bilateral or multinational "
                                        "community."))
    is_private = BooleanField(_l("Private: only members read its threads and member list"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.countries.choices = choices(country_choices())


class EditCommunityForm(CommunityForm):
    slug = None


class JoinRequestForm(FlaskForm):
    message = TextAreaField(_l("Message to the moderators (optional)"),
                            validators=[Length(max=1000)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()))
