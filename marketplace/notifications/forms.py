"""Notification forms: one choice per kind on the preferences page."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from marketplace.gate import FlaskForm
from marketplace.notifications import kinds


def preferences_form(current: dict[str, str], formdata=None) -> FlaskForm:
    choices = [SelectChoice(mode, label) for mode, label in kinds.MODE_LABELS.items()]

    class PreferencesForm(FlaskForm):
        pass

    for kind, label in kinds.LABELS.items():
        setattr(PreferencesForm, kind, SelectField(label, choices=choices, default=current[kind]))
    form = PreferencesForm() if formdata is None else PreferencesForm(formdata=formdata)
    return form


PREFERENCES_HINT = _l("Notifications always appear in the bell; this sets the emails.")
