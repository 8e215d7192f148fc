import pytest


@pytest.fixture
def rq(app):
    """A request context, for calling services (gettext, url_for) outside a request."""
    with app.test_request_context():
        yield
