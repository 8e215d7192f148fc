"""RFC 9457 problem details: the one error format of the API."""

from flask import jsonify
from pydantic import BaseModel


class FieldError(BaseModel):
    field: str | None = None
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []
    code: str | None = None  # a stable reason for a 409 (e.g. project_funded)


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str = "", errors=None, headers=None, code=None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.code = status, title, detail, code
        self.errors = errors or []
        self.headers = headers or {}


class ValidationProblem(ApiProblem):
    def __init__(self, errors):
        super().__init__(422, "Invalid input", "Some fields are not valid.", errors)


def problem_response(status: int, title: str, detail: str = "", errors=None, headers=None, code=None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "errors": errors or []}
    if code:
        body["code"] = code
    response = jsonify(body)
    response.status_code = status
    response.headers["Content-Type"] = "application/problem+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
