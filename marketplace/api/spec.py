"""The OpenAPI 3.1 description, generated from the code by spectree (pydantic models).

Endpoints declare their query/body/response models with `@spec.validate(...)`; invalid input
becomes an application/problem+json 422 with per-field errors.
"""

import copy

from flask import current_app
from pydantic import BaseModel, Field
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from marketplace.api.problems import Problem, ValidationProblem


def _before(req, resp, req_validation_error, instance, *args):
    if req_validation_error is not None:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())) or None, "message": e.get("msg", "")}
            for e in req_validation_error.errors()
        ]
        raise ValidationProblem(errors)


spec = SpecTree(
    "flask",
    title="marketplace API",
    version="1.0.0",
    description="Practices, case studies, communities, projects and pledges as JSON. "
    "Reads of public data need no authentication; writes use a personal token as "
    "`Authorization: Bearer …` with the read, write or pledge scope.",
    path="api/v1/_spectree",
    annotations=True,
    before=_before,
    validation_error_status=422,
    security_schemes=[
        SecurityScheme(name="bearerAuth", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))
    ],
)

PROBLEM_STATUSES = ("400", "401", "403", "404", "409", "422", "429", "503")


class Links(BaseModel):
    self: str
    next: str | None = None
    prev: str | None = None


class Page(BaseModel):
    page: int = Field(ge=1)
    per_page: int
    total: int
    links: Links


def _described(operations: dict) -> bool:
    """Only operations declared with @spec.validate (they document their responses)."""
    return all(any(code.startswith("2") for code in op.get("responses", {})) for op in operations.values())


def openapi_document() -> dict:
    """The spec with problem responses typed as application/problem+json."""
    with current_app.app_context():
        document = copy.deepcopy(spec.spec)
    document["servers"] = [{"url": "/"}]
    document["paths"] = {path: ops for path, ops in document.get("paths", {}).items()
                         if path.startswith("/api/v1/") and _described(ops)}
    for path in document["paths"].values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status in PROBLEM_STATUSES and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return document


__all__ = ["spec", "Page", "Links", "Problem", "openapi_document"]
