from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField

from marketplace.gate import FlaskForm


class UploadForm(FlaskForm):
    file = FileField(_l("File"), description=_l(
        "PDF, text, Markdown, CSV, office documents (ODF or OOXML) or images."))
    replaces = SelectField(_l("Replaces"), choices=[], validate_choice=False)


class ImageForm(FlaskForm):
    file = FileField(_l("Image"), description=_l("PNG, JPEG, GIF or WebP."))
