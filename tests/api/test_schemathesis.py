"""Schemathesis over every API operation, in-process, with valid and invalid inputs: no 5xx, and
every response matches the OpenAPI description (issue 7, acceptance 1).

Schemathesis' pytest plugin does not run under pytest 9, so each operation is driven through
its Hypothesis strategy here; the checks are Schemathesis' own (call_and_validate).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.api.test_core import make_token

MAX_EXAMPLES = 25


def operations():
    """(path, method) of every operation in the description, read from a throwaway app."""
    import tempfile
    from pathlib import Path

    from marketplace import create_app
    from tests.conftest import base_config

    app = create_app(base_config(Path(tempfile.mkdtemp())))
    with app.app_context():
        document = app.test_client().get("/api/v1/openapi.json").json
    return [(path, method) for path, item in document["paths"].items() for method in item]


@pytest.fixture
def api_schema(app, make_practice, make_community, make_project, indexed):
    make_practice(title="Participatory budgeting")
    make_community(name="Budget community")
    make_project(state="open")
    indexed()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("path,method", operations())
def test_operation_conforms(api_schema, make_donor, path, method, mode):
    headers = make_token(make_donor(), scopes=["read", "write", "pledge"])
    operation = api_schema.find_operation_by_path(method, path)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=True, database=None)
    def run(case):
        case.call_and_validate(headers={**headers, **(case.headers or {})})

    try:
        run()
    except Unsatisfiable:
        # Only a free-form string in the path: every input is valid, there is no invalid one.
        assert mode is GenerationMode.NEGATIVE
