"""Account forms: they check shape only; services enforce the rules."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, Length, Optional

from marketplace.accounts.models import ORGANIZATION_TYPE_LABELS, ROLE_LABELS
from marketplace.gate import FlaskForm
from marketplace.i18n import country_choices, language_choices, ui_language_choices


def _email_field(label=None):
    return EmailField(
        label or _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class RegisterForm(FlaskForm):
    email = _email_field()
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters; a few unusual words make a strong password."),
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])


class EmailChangeForm(FlaskForm):
    email = _email_field(_l("New email"))
    password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ResendConfirmationForm(FlaskForm):
    """A button: mail the confirmation link again."""


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[DataRequired()])
    confirm = BooleanField(
        _l("I understand that this cannot be undone"), validators=[DataRequired()]
    )


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    bio = TextAreaField(
        _l("About you"), validators=[Length(max=5000)], description=_l("Markdown is supported.")
    )
    country = SelectField(_l("Country"), validators=[Optional()])
    languages = SelectMultipleField(_l("Languages you work in"), validators=[Optional()])
    expertise = StringField(
        _l("Expertise"),
        validators=[Length(max=500)],
        description=_l("Comma-separated, e.g. anti-corruption, public finance"),
    )
    locale = SelectField(_l("Interface language"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(blank=str(_l("— none —")))
        self.languages.choices = language_choices()
        self.locale.choices = [("", _l("From my browser"))] + ui_language_choices()


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    type = SelectField(
        _l("Type"), choices=[SelectChoice(k.value, v) for k, v in ORGANIZATION_TYPE_LABELS.items()]
    )
    country = SelectField(_l("Country"), validators=[Optional()])
    website = URLField(
        _l("Website"), validators=[Optional(), URL(require_tld=True), Length(max=500)]
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=10000)], description=_l("Markdown is supported.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(blank=str(_l("— none —")))


class AddMemberForm(FlaskForm):
    email = _email_field(_l("Member's email"))
    role = SelectField(
        _l("Role"), choices=[SelectChoice("member", _l("Member")), SelectChoice("treasurer", _l("Treasurer")),
                          SelectChoice("admin", _l("Admin"))]
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()])


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Language"))
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lang.choices = ui_language_choices()

