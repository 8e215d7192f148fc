"""A check shared by the tests of paged lists."""

from collections.abc import Callable


def check_pages(client, url: str, rows: Callable[[str], list[str]], expected: list[str],
                per_page: int = 20) -> None:
    """The list at `url` (a path without a query; its rows read from the HTML by `rows`) shows
    `expected`, in that order, `per_page` a page, each page linking to the next and showing the
    count of every row; a page past the end shows the last page, one that is not a number the
    first, never an error."""
    pages = [expected[i:i + per_page] for i in range(0, len(expected), per_page)]
    for number, page in enumerate(pages, 1):
        html = client.get(f"{url}?page={number}").get_data(as_text=True)
        assert rows(html) == page, number
        assert f'<span class="count">{len(expected)}</span>' in html
        assert f"Page {number} of {len(pages)}" in html
        assert (f'href="{url}?page={number + 1}"' in html) == (number < len(pages))
    for past in ("999", "99999999999999999999"):
        assert rows(client.get(f"{url}?page={past}").get_data(as_text=True)) == pages[-1]
    for bad in ("abc", "0", "-1", ""):
        response = client.get(f"{url}?page={bad}")
        assert response.status_code == 200 and rows(response.get_data(as_text=True)) == pages[0]
    assert rows(client.get(url).get_data(as_text=True)) == pages[0]
