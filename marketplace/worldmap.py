"""The world map: country shapes as SVG path data, and the shade of a country's count.

The shapes are Natural Earth's 1:110m admin-0 countries as published on npm by `world-atlas`
(version and refresh in `marketplace/data/world-atlas/README.md`). The TopoJSON is decoded and
projected here (Equal Earth, Antarctica left out) the first time a map is drawn in a process,
then kept: about 40 ms once, nothing per request. Paths use whole units of a 1000-wide viewBox
(one unit is ~40 km at the equator, about the data's own resolution), relative moves after the
first point, so the whole world is ~40 kB of markup.

Countries are keyed by ISO 3166-1 alpha-2 code, as the app stores them; world-atlas uses the
numeric code, mapped with pycountry. Areas without an ISO code in the data (Kosovo, Northern
Cyprus, Somaliland) are drawn unlinked and never shaded. Counting is the features' business
(each list's `country_counts()`, one GROUP BY); this module draws and caches.

The cache (per app, in `app.extensions`): each kind's counts for WORLDMAP_CACHE_SECONDS, with
the map's HTML per language (~50 kB each; the country a list is filtered by is outlined by
inserting one path at the template's SELECTED marker, not by caching a copy per country), so a
page with a map costs a dictionary look-up, not a GROUP BY over every practice and a render of
180 shapes. A commit that touched a
practice, case study or project (or their countries) empties this process's cache at once;
other processes catch up within WORLDMAP_CACHE_SECONDS (0: no cache). A filtered list's map
(`render(..., filters=...)`) is counted and drawn per request, never cached.
"""

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
from flask import current_app, get_template_attribute, has_app_context, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.i18n import country_name, format_number

ATLAS = Path(__file__).parent / "data" / "world-atlas" / "countries-110m.json"
WIDTH = 1000
ANTARCTICA = "010"
# Lower bounds of the shades 1..5 (0 is "none"): 1, 2-4, 5-9, 10-24, 25 or more.
SHADE_FROM = (1, 2, 5, 10, 25)


@dataclass(frozen=True)
class Shape:
    code: str | None  # ISO 3166-1 alpha-2; None for an area without an ISO code
    name: str  # the atlas's English name (the page shows the localized one)
    d: str  # SVG path data in the viewBox


@dataclass(frozen=True)
class Atlas:
    shapes: tuple[Shape, ...]
    width: int
    height: int

    @functools.cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(s.code for s in self.shapes if s.code)

    @functools.cached_property
    def by_code(self) -> dict[str, Shape]:
        return {s.code: s for s in self.shapes if s.code}


def shade(count: int) -> int:
    """0 for no item, else 1..5 by SHADE_FROM."""
    return sum(1 for lower in SHADE_FROM if count >= lower)


# --- what a page shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    endpoint: str  # the list, filtered with ?country=XX
    heading: object  # lazy strings
    column: object
    label: Callable[[str, int], str]  # (country name, count) -> "France: 3 practices"


KINDS = {
    "practice": Kind(
        "knowledge.index", _l("Where the practices come from"), _l("Practices"),
        lambda name, n: ngettext("%(country)s: %(num)d practice", "%(country)s: %(num)d practices",
                                 n, country=name)),
    "case": Kind(
        "cases.index", _l("Where the case studies come from"), _l("Case studies"),
        lambda name, n: ngettext("%(country)s: %(num)d case study",
                                 "%(country)s: %(num)d case studies", n, country=name)),
    "project": Kind(
        "projects.index", _l("Where the projects are"), _l("Projects"),
        lambda name, n: ngettext("%(country)s: %(num)d project", "%(country)s: %(num)d projects",
                                 n, country=name)),
}


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    count: int
    shade: int
    href: str
    label: str
    on_map: bool


@dataclass(frozen=True)
class Map:
    kind: Kind
    atlas: Atlas
    countries: dict[str, Country]  # the countries with a count, by code
    table: list[Country]  # the same, most first
    legend: list[tuple[int, str]]  # (shade, its range in words)

    @property
    def description(self) -> str:
        missing = sum(1 for c in self.table if not c.on_map)
        text = _("The darker a country, the more there are.") + " " + ngettext(
            "%(num)d country has at least one.", "%(num)d countries have at least one.",
            len(self.table))
        if missing:
            text += " " + ngettext("%(num)d of them is too small to show at this scale: see the "
                                   "table.", "%(num)d of them are too small to show at this scale: "
                                   "see the table.", missing)
        return text


# --- the cache -------------------------------------------------------------------------------

# Rows whose change can move a count: a commit touching one empties this process's cache.
WATCHED = frozenset({"Practice", "PracticeCountry", "CaseStudy", "Project", "ProjectCountry"})
_STALE = "worldmap.stale"
SELECTED = Markup("<!-- worldmap:selected -->")  # where the filtered country's outline goes


@dataclass
class _Entry:
    expires: float  # time.monotonic()
    counts: dict[str, int]
    html: dict[str, Markup] = field(default_factory=dict)  # by locale


def _entry(kind: str, count: Callable[[], dict[str, int]]) -> _Entry:
    entries = current_app.extensions.setdefault("worldmap", {})
    entry, now = entries.get(kind), time.monotonic()
    if entry is None or entry.expires <= now:
        entry = _Entry(now + current_app.config["WORLDMAP_CACHE_SECONDS"],
                       {code: n for code, n in count().items() if n > 0})
        entries[kind] = entry
    return entry


def counts(kind: str, count: Callable[[], dict[str, int]]) -> dict[str, int]:
    """The counts of `kind` (ISO alpha-2 code -> public items), from the cache or `count()`."""
    return _entry(kind, count).counts


def render(kind: str, count: Callable[[], dict[str, int]], selected: str | None = None,
           filters: dict[str, str] | None = None) -> Markup:
    """The map section of a page (empty when nothing is counted), the `selected` country (the
    list's filter) outlined. With the list's `filters` (theme, country, ...), `count()` counts
    what the filtered list holds: counted and drawn for this request, never cached, and each
    country's link keeps the other filters."""
    if filters:
        counts = {code: n for code, n in count().items() if n > 0}
        if not counts:
            return Markup("")
        html = Markup(get_template_attribute("_macros/worldmap.html", "world_map")(
            build(kind, counts, filters), SELECTED))
        return _outlined(html, counts, selected)
    entry = _entry(kind, count)
    if not entry.counts:
        return Markup("")
    locale = str(get_locale())
    if locale not in entry.html:
        macro = get_template_attribute("_macros/worldmap.html", "world_map")
        entry.html[locale] = Markup(macro(build(kind, entry.counts), SELECTED))
    return _outlined(entry.html[locale], entry.counts, selected)


def _outlined(html: Markup, counts: dict[str, int], selected: str | None) -> Markup:
    shape = atlas().by_code.get((selected or "").upper()) if selected else None
    if shape is None or shape.code not in counts:
        return html
    outline = Markup('<path class="selected-outline" d="{}"/>').format(shape.d)
    return Markup(html.replace(SELECTED, outline, 1))


@event.listens_for(Session, "after_flush")
def _note_changes(session, flush_context) -> None:
    if not session.info.get(_STALE) and any(
            type(obj).__name__ in WATCHED
            for rows in (session.new, session.dirty, session.deleted) for obj in rows):
        session.info[_STALE] = True


@event.listens_for(Session, "after_commit")
def _expire(session) -> None:
    if session.info.pop(_STALE, False) and has_app_context():
        current_app.extensions.pop("worldmap", None)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    session.info.pop(_STALE, None)


# --- what the template draws ------------------------------------------------------------------


def build(kind: str, counts: dict[str, int], filters: dict[str, str] | None = None) -> Map | None:
    """The map of `counts` (ISO alpha-2 code -> items there) for one list, in the request's
    locale; None when nothing is counted (an empty map says nothing). Each country links to the
    list filtered by it, keeping the other `filters`."""
    counts = {code: n for code, n in counts.items() if n > 0}
    if not counts:
        return None
    spec, world = KINDS[kind], atlas()
    others: dict[str, Any] = {k: v for k, v in (filters or {}).items() if k != "country"}
    base = url_for(spec.endpoint, **others)
    base += ("&" if "?" in base else "?") + "country="
    countries = {}
    for code, n in counts.items():
        name = country_name(code)
        countries[code] = Country(code, name, n, shade(n), base + code, spec.label(name, n),
                                  code in world.codes)
    table = sorted(countries.values(), key=lambda c: (-c.count, c.name))
    return Map(spec, world, countries, table, legend())


def legend() -> list[tuple[int, str]]:
    bounds = [*SHADE_FROM, None]
    rows = [(0, _("none"))]
    for i, (low, high) in enumerate(zip(bounds, bounds[1:], strict=False), start=1):
        if high is None:
            rows.append((i, _("%(num)s or more", num=format_number(low))))
        elif high - low == 1:
            rows.append((i, format_number(low)))
        else:
            rows.append((i, _("%(low)s to %(high)s", low=format_number(low),
                              high=format_number(high - 1))))
    return rows


@functools.cache
def atlas() -> Atlas:
    topology = json.loads(ATLAS.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    polygons = []  # (code, name, [projected rings])
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        if numeric == ANTARCTICA:
            continue
        parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [[_project(lon, lat) for lon, lat in _unwrap(_ring(arcs, ring))]
                 for polygon in parts for ring in polygon]
        polygons.append((_alpha_2(numeric), geometry["properties"]["name"], rings))
    xs = [x for *_, rings in polygons for ring in rings for x, _ in ring]
    ys = [y for *_, rings in polygons for ring in rings for _, y in ring]
    k = WIDTH / (max(xs) - min(xs))
    x0, y0 = min(xs), max(ys)
    shapes = tuple(Shape(code, name, _path([[((x - x0) * k, (y0 - y) * k) for x, y in ring]
                                            for ring in rings]))
                   for code, name, rings in polygons)
    return Atlas(shapes, WIDTH, math.ceil((max(ys) - min(ys)) * k))


def _alpha_2(numeric: str | None) -> str | None:
    country = pycountry.countries.get(numeric=numeric) if numeric else None
    return country.alpha_2 if country else None


# --- TopoJSON (https://github.com/topojson/topojson-specification) ----------------------------


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc as absolute (longitude, latitude) points: the file's arcs are quantized and
    delta-encoded."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list, indices: list[int]) -> list[tuple[float, float]]:
    """A ring's points from its arcs; index ~i is arc i reversed. Consecutive arcs share their
    joining point, kept once."""
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def _unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring that crosses the antimeridian (eastern Chukotka, Fiji) is not cut in the data:
    its points on the minority side are pinned to the map's edge instead of striping across."""
    if all(abs(a[0] - b[0]) <= 180 for a, b in zip(ring, ring[1:], strict=False)):
        return ring
    east = sum(1 for lon, _ in ring if lon >= 0) * 2 >= len(ring)
    edge = 180.0 if east else -180.0
    return [(lon if (lon >= 0) == east else edge, lat) for lon, lat in ring]


# --- Equal Earth projection (Šavrič, Patterson and Jenny, 2018) ------------------------------

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def _project(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


# --- SVG path data ------------------------------------------------------------------------------


def _path(rings: list[list[tuple[float, float]]]) -> str:
    """Compact path data: whole units, the first point absolute, then relative moves; repeated
    points dropped, rings that shrink below a triangle too (unless that leaves nothing: a small
    country keeps its rings at a tenth of a unit)."""
    parts = [p for p in (_ring_path(ring, 1) for ring in rings) if p]
    if not parts:
        parts = [p for p in (_ring_path(ring, 10) for ring in rings) if p]
    return "".join(parts)


def _ring_path(ring: list[tuple[float, float]], per_unit: int) -> str:
    points: list[tuple[int, int]] = []
    for x, y in ring:
        point = (round(x * per_unit), round(y * per_unit))
        if not points or point != points[-1]:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(set(points)) < 3:
        return ""
    numbers = [points[0][0], points[0][1]]
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        numbers += [bx - ax, by - ay]
    scale = (lambda n: n) if per_unit == 1 else (lambda n: n / per_unit)
    return "M" + _join(scale(n) for n in numbers[:2]) + "l" + _join(
        scale(n) for n in numbers[2:]) + "z"


def _join(numbers) -> str:
    """Numbers separated by a space, or by nothing before a minus sign."""
    out: list[str] = []
    for n in numbers:
        text = f"{n:g}" if isinstance(n, float) else str(n)
        if out and not text.startswith("-"):
            out.append(" ")
        out.append(text)
    return "".join(out)
