from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.gate import FlaskForm

SCOPE_LABELS = [
    ("read", _l("read — your drafts and private content you can see")),
    ("write", _l("write — create and edit practices, case studies, posts and projects")),
    ("pledge", _l("pledge — make pledges as a donor")),
]


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("What will use it, e.g. “our monitoring dashboard”."))
    scopes = SelectMultipleField(_l("Scopes"), choices=SCOPE_LABELS, default=["read"],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
