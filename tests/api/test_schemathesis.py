"""Schemathesis over every API operation, in-process, with valid and invalid inputs: no 5xx, and
every response matches the OpenAPI description (issue 7, acceptance 1).

Schemathesis' pytest plugin does not run under pytest 9, so each operation is driven through
its Hypothesis strategy here; the checks are Schemathesis' own (call_and_validate).

Random slugs and ids only ever reach 404s, so the valid run also draws cases whose path
parameters name seeded objects (and, for writes, cases with a body the services accept): every
operation must answer 2xx at least once, so its success responses are checked against the
schema too.
"""

import itertools
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.api.test_core import make_token
from tests.conftest import own_g

MAX_EXAMPLES = 25
# Schema-valid data may still be refused with 422 (docs/api.md: validation errors are 422 with
# per-field errors) where the services check what a schema cannot say: a country or theme that
# exists, the project's own currency, a change that changes nothing. 400 stays a failure.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]}}})


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
def seeded(app, make_donor, make_practice, make_community, make_thread, make_project, make_case_study,
           make_metric_definition, pledge, aged, indexed):
    """The caller (a donor with every scope) and, per path parameter, the objects it may use."""
    me = aged(make_donor(name="Schema Walker"))
    practice = make_practice(title="Participatory budgeting", owner=me)
    community = make_community(name="Budget community", members=[me])
    thread = make_thread(community, me, title="Budget calendars")
    make_metric_definition("attendance")
    case = make_case_study(owner=me, title="Budgets in Nairobi", metrics={"attendance": (10.0, 30.0)})
    project = make_project(state="open", goal_minor=10**12)
    mine = pledge(me, project, "5")
    indexed()
    path_values = {"slug": {"practices": practice.slug, "case-studies": case.slug, "communities": community.slug,
                            "projects": project.slug},
                   "thread_id": thread.id, "pledge_id": mine.id, "user_id": me.id}
    return make_token(me, scopes=["read", "write", "pledge"]), path_values


def own_g_per_request(app):
    """The app as Schemathesis calls it (not through the tests' Client): each request with its own
    `g`, or a probe without a token would still see the token cached there."""

    def wsgi(environ, start_response):
        with own_g(app):
            return app(environ, start_response)

    return wsgi


def real_path_parameters(case, path_values):
    """The case, its path parameters naming seeded objects (`slug` by the path's collection)."""
    collection = case.path.split("/")[3]
    for name in list(case.path_parameters or {}):
        value = path_values[name]
        case.path_parameters[name] = value[collection] if isinstance(value, dict) else value
    return case


_unique = itertools.count(1)

# A body (and headers) the services accept, per operation: random ones are mostly refused.
ACCEPTED = {
    ("POST", "/api/v1/practices"): lambda n: ({"title": f"Practice {n}"}, {}),
    ("PATCH", "/api/v1/practices/{slug}"): lambda n: ({"summary": f"Revision {n}"}, {}),
    ("POST", "/api/v1/practices/{slug}/adaptations"): lambda n: (
        {"country": "TZ", "context": f"Context {n}", "rationale": "Other districts"}, {}),
    ("POST", "/api/v1/projects/{slug}/pledges"): lambda n: (
        {"amount": "1"}, {"Idempotency-Key": f"schema-{uuid.uuid4().hex}"}),
    ("POST", "/api/v1/threads/{thread_id}/posts"): lambda n: ({"body": f"Reply {n}"}, {}),
}


def accepted_body(case):
    body, headers = ACCEPTED[(case.method.upper(), case.path)](next(_unique))
    case.body = body
    case.headers = {**(case.headers or {}), **headers}
    return case


def strategy_for(operation, mode, path_values):
    generated = operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE:
        return generated
    real = generated.map(lambda case: real_path_parameters(case, path_values))
    if (operation.method.upper(), operation.path) in ACCEPTED:
        return st.one_of(generated, real, real.map(accepted_body))
    return st.one_of(generated, real)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("path,method", operations())
def test_operation_conforms(app, seeded, path, method, mode):
    headers, path_values = seeded
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", own_g_per_request(app), config=CONFIG)

    @schema.auth()
    class CallerToken:  # explicit auth: Schemathesis' ignored-auth check can take it away
        def get(self, case, context):
            return headers["Authorization"]

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": data}

    operation = schema.find_operation_by_path(method, path)
    statuses = []

    @given(case=strategy_for(operation, mode, path_values))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=True, database=None)
    def run(case):
        response = case.call_and_validate()
        statuses.append(response.status_code)

    try:
        run()
    except Unsatisfiable:
        # Only a free-form string in the path: every input is valid, there is no invalid one.
        assert mode is GenerationMode.NEGATIVE
    if mode is GenerationMode.POSITIVE:
        assert any(200 <= s < 300 for s in statuses), sorted(set(statuses))
