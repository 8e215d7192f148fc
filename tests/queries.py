"""The one SQL statement counter for tests: `with QueryCounter() as q: ...` then `q.count`."""

from sqlalchemy import event

from marketplace.extensions import db


class QueryCounter:
    """Counts the statements the engine (default: the app's) runs inside the `with` block."""

    def __init__(self, engine=None):
        self.engine, self.statements = engine, []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _hit(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def __enter__(self):
        self.engine = self.engine or db.engine
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)


def count_queries(fn, *args, **kwargs) -> int:
    """How many statements `fn(*args, **kwargs)` runs (a page fetch must answer 200)."""
    with QueryCounter() as counter:
        result = fn(*args, **kwargs)
    status = getattr(result, "status_code", 200)
    assert status == 200, status
    return counter.count
