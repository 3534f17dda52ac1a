"""Small pieces every section of the PDF uses: a section title, a paragraph of small print, and
a name that always shows something. Nothing here imports fpdf2."""

from __future__ import annotations

from sunday_mining.reports import _fonts
from sunday_mining.reports._layout import CONTENT_W, GREY, MARGIN, PT, RGB, ROW_H, Doc, wrap


def shown_name(name: str, fallback: str) -> str:
    """The name, or the fallback when nothing of it would show (empty, only spaces or
    invisible characters): a payee line must always say who it is."""
    return name if _fonts.has_visible(_fonts.clean(name)) else fallback


def heading(doc: Doc, title: str, rows: int) -> None:
    """A section title, moved to the next page with the table's header and first rows (all of
    them when there are few) so no title or short table is left stranded."""
    doc.ensure(8.5 + ROW_H * (1 + (rows if rows <= 6 else 3)))
    doc.y += 2.0
    doc.text(MARGIN, doc.y + 4.0, title, size=11.5, bold=True)
    doc.y += 6.5


def note(doc: Doc, text: str, *, colour: RGB = GREY, lines: int = 4) -> None:
    """A small-print paragraph, wrapped to the page width and never cut short."""
    for line in wrap(text, _fonts.REGULAR, CONTENT_W / (7 * PT), lines):
        doc.ensure(3.4)
        doc.text(MARGIN, doc.y + 2.4, line, size=7, colour=colour)
        doc.y += 3.2
    doc.y += 1.5
