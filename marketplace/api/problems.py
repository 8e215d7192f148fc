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


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str = "", errors=None, headers=None):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []
        self.headers = headers or {}


class ValidationProblem(ApiProblem):
    def __init__(self, errors):
        super().__init__(422, "Invalid input", "Some fields are not valid.", errors)


def problem_response(status: int, title: str, detail: str = "", errors=None, headers=None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "errors": errors or []}
    response = jsonify(body)
    response.status_code = status
    response.headers["Content-Type"] = "application/problem+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
