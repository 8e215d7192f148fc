"""Forum forms: shape only."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.communities.forms import choices
from marketplace.forums.models import FLAG_CATEGORIES, FLAG_OTHER, THREAD_KINDS
from marketplace.gate import FlaskForm

BODY_HINT = _l("Markdown. Mention someone with @ and their name without spaces, e.g. "
               "@AnaSilva. Quote with > at the start of a line.")


def _body(label):
    return TextAreaField(label, validators=[DataRequired(), Length(max=50_000)],
                         description=BODY_HINT)


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = RadioField(_l("Kind"), choices=choices(THREAD_KINDS.items()), default="discussion")
    body = _body(_l("Message"))
    tags = StringField(_l("Tags"), validators=[Length(max=300)],
                       description=_l("Comma-separated, e.g. water, budgeting."))
    subject = HiddenField()


class ThreadEditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    tags = StringField(_l("Tags"), validators=[Length(max=300)])


class ReplyForm(FlaskForm):
    body = _body(_l("Your reply"))


class EditPostForm(FlaskForm):
    body = _body(_l("Message"))
    # The post's revision count when the form was opened: a save after another edit is a conflict.
    base_revision = HiddenField(validators=[Optional()])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = StringField(_l("Description"), validators=[Length(max=500)])


class FlagForm(FlaskForm):
    category = RadioField(_l("What is wrong with this post?"),
                          choices=choices(FLAG_CATEGORIES.items()), default=FLAG_OTHER)
    reason = TextAreaField(_l("Tell the moderators more"), validators=[Length(max=1000)],
                           description=_l("Needed for “Something else”."))


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the person)"), validators=[Length(max=500)])
    next = HiddenField()


class HideForm(FlaskForm):
    reason = StringField(_l("Reason (sent to the author)"), validators=[Length(max=300)])


class MoveForm(FlaskForm):
    category = SelectField(_l("Move to category"), coerce=int)


class DiscussForm(FlaskForm):
    category = SelectField(_l("Category"), coerce=int)
