"""One page of a list: every HTML list, the search results and the API envelope use `Page`."""

from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_PAGE = 10_000  # no list is browsed this deep; the bound keeps OFFSET small and integers sane


def page_number(raw) -> int:
    """The page asked for in a query string, bounded: anything that is not a whole number, or is
    below 1 (`abc`, `0`, `-1`), is page 1; a huge number (`99999999999999999999`) is MAX_PAGE,
    which `Page` then brings back to the last page. Never an error."""
    try:
        number = int(str(raw).strip()) if raw is not None else 1
    except ValueError:
        return 1
    return min(max(1, number), MAX_PAGE)


def per_page_number(raw, default: int, maximum: int) -> int:
    """Items per page from a query string: `default` when missing or not a number, else 1..maximum."""
    try:
        number = int(str(raw).strip()) if raw is not None else default
    except ValueError:
        return default
    return min(max(1, number), maximum)


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


@dataclass
class Page:
    """Items of page `page` (1-based) of `total` items, `per_page` a page; the shape the
    forms.pagination macro and `page_envelope` read. Search results also fill `facets` and
    `suggestion` ("did you mean")."""

    items: Sequence
    page: int
    per_page: int
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    # Search: the spelling correction whose results these are (the query as typed found nothing).
    corrected: str | None = None
    # Search: "none" when no result has every word and these have most of them, "few" when the
    # few that have every word come first and results with most of them follow; "" otherwise.
    partial: str = ""

    @property
    def pages(self) -> int:
        return last_page(self.total, self.per_page)

    @property
    def hits(self) -> Sequence:
        return self.items

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)

    def __iter__(self):
        return iter(self.items)

    def map(self, fn) -> "Page":
        """The same page with each item passed through `fn` (entities -> JSON objects)."""
        return Page([fn(item) for item in self.items], self.page, self.per_page, self.total,
                    self.facets, self.suggestion, self.corrected, self.partial)


def page_of(items: list, page: int, per_page: int) -> Page:
    """A page cut from a list already in memory (page clamped to the last one)."""
    page = min(page, last_page(len(items), per_page))
    start = (page - 1) * per_page
    return Page(items[start:start + per_page], page, per_page, len(items))
