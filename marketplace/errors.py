"""Domain errors raised by services; views map them onto forms or HTTP answers."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None):
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
