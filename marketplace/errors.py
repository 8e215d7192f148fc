"""Domain errors raised by services; views map them onto forms or HTTP answers."""

from dataclasses import dataclass


class DomainError(Exception):
    status = 400
    code = ""  # a machine-readable reason for API clients (e.g. "project_funded"), when useful

    def __init__(self, message: str, field: str | None = None):
        # Plain text: a lazy_gettext string with user text interpolated would be markup to Jinja
        # and to the session's flash serializer (LazyString has __html__), so it is rendered here.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    status = 422

    def __init__(self, field: str | None, message: str):
        super().__init__(message, field)


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


@dataclass(frozen=True)
class ConflictField:
    """A field two saves changed differently: the form field's name, its label, the text the
    other save left (`theirs`) and a word diff from the user's text to it (Markup)."""
    name: str
    label: str
    theirs: str
    diff: str


class EditConflict(Conflict):
    """A save made on version `base` of something that others changed since, in the same
    fields (`fields`); `current` is the version the user should now compare with. The message
    goes on the form's hidden `base_revision` field (the edit form shows it above the form)."""
    code = "edit_conflict"

    def __init__(self, message: str, *, current: int, fields: list[ConflictField]):
        super().__init__(message, "base_revision")
        self.current = current
        self.fields = fields


def attempt(run, *args, **kwargs):
    """Call `run(*args, **kwargs)` outside a request (CLI, importer, seeders): `(result, None)`,
    or `(None, err)` for a DomainError, which the caller reports or skips. Views use web.act."""
    try:
        return run(*args, **kwargs), None
    except DomainError as err:
        return None, err
