"""The payroll report as a PDF: what the org keeps and people settle money by.

The only module that imports fpdf2: it is heavy, and the interactions path must never load it.
``_sections`` lays the whole report out as plain draw operations first; here small fonts holding
just the glyphs the document uses are built (``_fonts``) and the operations are replayed through
fpdf2's cheapest calls.

Fallback fonts (Droid Sans Fallback for CJK, Symbola for emoji) are chosen per character in the
layout, not with ``FPDF.set_fallback_fonts``: that works only through ``cell``/``multi_cell``,
which cost about ten times ``text`` per call, and a 300-payee report draws some 3,000 strings.

Deterministic: the creation date comes from ``generated_ms``, fpdf2's file id is a hash of the
content and that date, and the cut-down fonts carry the source fonts' timestamps, so the same
``ReportData`` gives the same bytes.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection

from sunday_mining.reports import _fonts
from sunday_mining.reports._layout import RGB, Doc, Op, Rect, Text
from sunday_mining.reports._sections import lay_out
from sunday_mining.reports.model import ReportData


def render_pdf(data: ReportData) -> bytes:
    """The report the org keeps; the same data always gives the same bytes."""
    return _draw(lay_out(data, _visual_order), data)


@lru_cache(maxsize=4096)  # the pure-Python bidi algorithm costs about a millisecond a name
def _visual_order(text: str) -> str:
    """Right-to-left runs reversed into the order they are seen (fpdf2's Unicode bidi
    algorithm), since ``FPDF.text`` draws characters left to right as given. The report reads
    left to right, so is every line of it: a Hebrew name with its handle reads "שלום
    (Miner_0008)", not with the brackets turned round as a right-to-left line would have them."""
    paragraph = BidiParagraph(text, TextDirection.LTR, preserve_bn_chars=True)
    return paragraph.get_reordered_string()


def _draw(doc: Doc, data: ReportData) -> bytes:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(datetime.fromtimestamp(data.generated_ms / 1000, UTC))
    pdf.set_creator("Sunday Mining")
    pdf.set_producer("Sunday Mining")
    pdf.set_title(_fonts.clean(f"Payroll report {data.report_id}"))
    # fpdf2 reads fonts from files: the cut-down fonts live in a folder for this document only,
    # kept until the output is written because fpdf2 reads the font tables lazily.
    with tempfile.TemporaryDirectory(prefix="sm-report-") as folder:
        pen = _Pen(pdf, _add_fonts(pdf, doc.used, Path(folder)))
        for page in doc.pages:
            pen.new_page()
            for op in page:
                pen.draw(op)
        return bytes(pdf.output())


def _add_fonts(pdf: FPDF, used: dict[str, set[int]], folder: Path) -> dict[str, str]:
    """One fpdf2 family per bundled font the document uses, named by position for stable
    bytes."""
    families: dict[str, str] = {}
    for index, (filename, codepoints) in enumerate(sorted(used.items())):
        path = folder / f"f{index}.ttf"
        path.write_bytes(_fonts.mini_font(filename, codepoints))
        families[filename] = f"f{index}"
        pdf.add_font(f"f{index}", "", path)
    return families


class _Pen:
    """Replays operations, telling fpdf2 only what changes: thousands of cells share a handful
    of fonts and colours."""

    def __init__(self, pdf: FPDF, families: dict[str, str]) -> None:
        self.pdf = pdf
        self.families = families
        self.font: tuple[str, float] | None = None
        self.text_colour: RGB | None = None

    def draw(self, op: Op) -> None:
        if isinstance(op, Text):
            self._text(op)
        elif isinstance(op, Rect):
            self._rect(op)
        else:
            self.pdf.set_draw_color(*op.colour)
            self.pdf.set_line_width(op.width)
            self.pdf.line(op.x1, op.y1, op.x2, op.y2)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.font = None  # fpdf2 re-selects its current font on a new page; keep in step

    def _text(self, op: Text) -> None:
        if op.colour != self.text_colour:
            self.pdf.set_text_color(*op.colour)
            self.text_colour = op.colour
        for font, part, x in op.runs:
            if (font, op.size) != self.font:
                self.pdf.set_font(self.families[font], "", op.size)
                self.font = (font, op.size)
            self.pdf.text(x, op.baseline, part)

    def _rect(self, op: Rect) -> None:
        style = ""
        if op.fill is not None:
            self.pdf.set_fill_color(*op.fill)
            style += "F"
        if op.stroke is not None:
            self.pdf.set_draw_color(*op.stroke)
            self.pdf.set_line_width(0.15)
            style += "D"
        self.pdf.rect(op.x, op.y, op.w, op.h, style=style or "D")
