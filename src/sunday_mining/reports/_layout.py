"""The layout pass of the PDF: pages of plain draw operations (text, rectangles, lines) with
every position and string decided, and the characters each font will have to draw.

Nothing here imports fpdf2. Deciding the whole document before drawing it is what lets every
footer say "page x of y", lets a fallback font load only when a name needs it, and keeps fpdf2 to
its cheapest calls: a 300-payee report has thousands of cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from unicodedata import bidirectional

from sunday_mining.reports import _fonts

RGB = tuple[int, int, int]
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 12.0  # A4 portrait, mm
CONTENT_W = PAGE_W - 2 * MARGIN
BODY_BOTTOM = PAGE_H - 15.0  # the footer lives below
PT = 25.4 / 72  # mm per point
BLACK, GREY, LIGHT, ZEBRA = (0, 0, 0), (100, 100, 100), (225, 225, 225), (244, 244, 244)
RED, GREEN, WHITE = (190, 20, 20), (20, 120, 50), (255, 255, 255)
GAP_FILL = (250, 214, 214)
# Okabe-Ito: told apart by colour-blind readers too; past eight channels, see channel_colour.
CHANNEL_COLOURS: tuple[RGB, ...] = (
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (120, 120, 120),
    (240, 228, 66),
)


def channel_colour(index: int) -> RGB:
    """The ``index``-th channel's colour: the eight of the palette, then the same hues darker,
    then lighter (24 told apart), and only then again; the legend names each."""
    base = CHANNEL_COLOURS[index % len(CHANNEL_COLOURS)]
    shade = (index // len(CHANNEL_COLOURS)) % 3
    if shade == 1:  # darker: 55 % of the way from black
        return (base[0] * 55 // 100, base[1] * 55 // 100, base[2] * 55 // 100)
    if shade == 2:  # lighter: half way to white
        return ((base[0] + 255) // 2, (base[1] + 255) // 2, (base[2] + 255) // 2)
    return base


TABLE_PT, ROW_H, CELL_PAD = 7.5, 4.4, 1.2
ELLIPSIS = "\u2026"


# --- draw operations: decided by the layout pass, replayed by the draw pass -------------------


@dataclass(frozen=True)
class Text:
    baseline: float
    runs: tuple[tuple[str, str, float], ...]  # (font file, text, x): one font per run
    size: float
    colour: RGB


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: RGB | None
    stroke: RGB | None = None


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: RGB
    width: float = 0.2


Op = Text | Rect | Line


@dataclass
class Doc:
    """The layout pass: pages of operations, a cursor, and the characters each font draws."""

    superseded: bool
    version: int
    pages: list[list[Op]] = field(default_factory=list)
    page: int = -1  # index into pages of the page being written
    y: float = MARGIN
    used: dict[str, set[int]] = field(default_factory=dict)
    reorder: Callable[[str], str] = str  # right-to-left text to visual order; see lay_out

    def new_page(self) -> None:
        self.pages.append([])
        self.page = len(self.pages) - 1
        self.y = MARGIN
        if self.superseded:
            self._superseded_band()

    def fits(self, height: float) -> bool:
        return self.y + height <= BODY_BOTTOM

    def ensure(self, height: float, continued: Callable[[], None] | None = None) -> None:
        """Start a new page when ``height`` does not fit; ``continued`` redraws table headers."""
        if not self.fits(height):
            self.new_page()
            if continued is not None:
                continued()

    def add(self, op: Op) -> None:
        self.pages[self.page].append(op)

    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        *,
        size: float = TABLE_PT,
        bold: bool = False,
        colour: RGB = BLACK,
        width: float | None = None,
        align: str = "L",
    ) -> float:
        """Place cleaned text (truncated with an ellipsis to ``width``); returns its width."""
        primary = _fonts.BOLD if bold else _fonts.REGULAR
        shown = _fonts.clean(text)
        if width is not None:
            shown = fit(shown, primary, width / (size * PT))
        if _has_rtl(shown):
            shown = self.reorder(shown)
        drawn = em_width(shown, primary) * size * PT
        if align == "R" and width is not None:
            x += width - drawn
        elif align == "C" and width is not None:
            x += (width - drawn) / 2
        placed: list[tuple[str, str, float]] = []
        for font, part in runs(shown, primary):
            self.used.setdefault(font, set()).update(map(ord, part))
            placed.append((font, part, x))
            x += em_width(part, primary) * size * PT
        if placed:
            self.add(Text(baseline, tuple(placed), size, colour))
        return drawn

    def _superseded_band(self) -> None:
        """Every page of a superseded version says so, so no single page can be mistaken."""
        self.add(Rect(MARGIN, self.y, CONTENT_W, 7.0, RED))
        message = f"SUPERSEDED — version {self.version} was replaced by a newer version of this "
        message += "payroll. Do not pay from this copy."
        self.text(MARGIN + 2, self.y + 4.9, message, size=8.5, bold=True, colour=WHITE)
        self.y += 10.0


# --- text measuring -----------------------------------------------------------------------------


def _has_rtl(text: str) -> bool:
    return not text.isascii() and any(bidirectional(c) in ("R", "AL") for c in text)


def runs(text: str, primary: str) -> list[tuple[str, str]]:
    """Split text into stretches drawn by one font each (primary, then the fallbacks)."""
    if text.isascii():
        return [(primary, text)] if text else []
    font_of = _fonts.fonts_by_char(primary).__getitem__
    return [(font, "".join(part)) for font, part in groupby(text, key=font_of)]


def em_width(text: str, primary: str) -> float:
    return sum(map(_fonts.widths_by_char(primary).__getitem__, text))


def fit(text: str, primary: str, max_em: float) -> str:
    """The text, or as much of it as fits followed by an ellipsis."""
    if em_width(text, primary) <= max_em:
        return text
    budget = max_em - em_width(ELLIPSIS, primary)
    width_of = _fonts.widths_by_char(primary).__getitem__
    used = 0.0
    for end, char in enumerate(text):
        used += width_of(char)
        if used > budget:
            return text[:end].rstrip(" \u200d") + ELLIPSIS
    return text


def wrap(text: str, primary: str, max_em: float, max_lines: int) -> list[str]:
    """Greedy word wrap; the last allowed line is truncated with an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in _fonts.clean(text).split(" "):
        candidate = f"{current} {word}" if current else word
        if current and em_width(candidate, primary) > max_em:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [fit(line, primary, max_em) for line in lines]


# --- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    title: str
    width: float
    align: str = "L"


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    bold: bool = False
    rule_above: bool = False
    colours: tuple[RGB | None, ...] = ()


def table(doc: Doc, cols: Sequence[Col], rows: Sequence[Row]) -> None:
    """A table that continues on the next page with its header repeated."""

    def header() -> None:
        doc.add(Rect(MARGIN, doc.y, CONTENT_W, ROW_H, LIGHT))
        _cells(doc, cols, tuple(c.title for c in cols), bold=True, colours=())
        doc.y += ROW_H

    doc.ensure(ROW_H * 2)
    header()
    for index, row in enumerate(rows):
        doc.ensure(ROW_H, header)
        if index % 2 and not row.bold:
            doc.add(Rect(MARGIN, doc.y, CONTENT_W, ROW_H, ZEBRA))
        if row.rule_above:
            doc.add(Line(MARGIN, doc.y, MARGIN + CONTENT_W, doc.y, BLACK, 0.3))
        _cells(doc, cols, row.cells, bold=row.bold, colours=row.colours)
        doc.y += ROW_H
    doc.y += 2.0


def _cells(
    doc: Doc,
    cols: Sequence[Col],
    cells: Sequence[str],
    *,
    bold: bool,
    colours: Sequence[RGB | None],
) -> None:
    x = MARGIN
    baseline = doc.y + ROW_H / 2 + TABLE_PT * PT * 0.36
    for index, (col, cell) in enumerate(zip(cols, cells, strict=False)):
        colour = colours[index] if index < len(colours) else None
        width = col.width - 2 * CELL_PAD
        doc.text(
            x + CELL_PAD,
            baseline,
            cell,
            bold=bold,
            colour=colour or BLACK,
            width=width,
            align=col.align,
        )
        x += col.width
