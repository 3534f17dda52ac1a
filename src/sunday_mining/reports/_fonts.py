"""The report's fonts: which font draws each character, how wide it is, and a cut-down copy of
each font holding only the glyphs one document uses.

Why not hand the bundled files to fpdf2 as they are: fpdf2 parses and subsets every font it is
given on every document, which costs about 0.3 s for Droid Sans Fallback (50,000 glyphs) and
0.1 s for each DejaVu face — more than a 300-payee report may take altogether. Here each font is
parsed once per process, and a document gets a small font built from the cached glyphs in a few
milliseconds. fontTools only; fpdf2 is not imported here.
"""

from __future__ import annotations

import copy
import io
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from fontTools.fontBuilder import FontBuilder
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
FALLBACKS = ("DroidSansFallback.ttf", "Symbola.ttf")  # CJK first, then emoji and symbols
REPLACEMENT = "\ufffd"  # DejaVu has it; shown for characters no bundled font can draw

# Whitespace controls become a space so "a\tb" stays two words; other controls are dropped.
_SPACE_LIKE = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")
# Bidi embeddings, overrides and isolates: without a bidi engine they only reorder nothing, and
# an override in a display name is a known way to disguise it.
_BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


_LOADING = threading.RLock()  # fontTools expands glyphs in place on first access
_TABLES_USED = ("head", "hhea", "maxp", "OS/2", "post", "name", "cmap", "hmtx", "loca", "glyf")
_HHEA_COPIED = (
    "ascent",
    "descent",
    "lineGap",
    "advanceWidthMax",
    "minLeftSideBearing",
    "minRightSideBearing",
    "xMaxExtent",
)
_MAXP_COPIED = (
    "maxPoints",
    "maxContours",
    "maxCompositePoints",
    "maxCompositeContours",
    "maxComponentElements",
    "maxComponentDepth",
)


@dataclass
class SourceFont:
    """One bundled font file, parsed once: its character map, metrics and glyph outlines."""

    filename: str
    font: Any  # fontTools TTFont, loaded lazily: only the glyphs a document uses are decoded
    cmap: dict[int, str]
    units_per_em: int
    _widths: dict[int, float] = field(default_factory=dict)
    _glyphs: dict[str, Any] = field(default_factory=dict)

    def covers(self, codepoint: int) -> bool:
        return codepoint in self.cmap

    def unhinted(self, name: str) -> Any:
        """The glyph without hinting (its programs call into tables a small font does not
        carry), made once per process. Simple glyphs are kept compiled, so a small font copies
        their bytes; composites stay expanded so their components are renumbered."""
        glyph = self._glyphs.get(name)
        if glyph is None:
            glyf = self.font["glyf"]
            glyph = copy.deepcopy(glyf[name])
            glyph.expand(glyf)
            glyph.removeHinting()
            if not glyph.isComposite():
                glyph = Glyph(glyph.compile(glyf, recalcBBoxes=False))
            self._glyphs[name] = glyph
        return glyph

    def components(self, name: str) -> list[str]:
        glyf = self.font["glyf"]
        glyph = glyf[name]
        return list(glyph.getComponentNames(glyf)) if glyph.isComposite() else []

    def width(self, codepoint: int) -> float:
        """Advance width in ems, cached: widths are asked for every character of every cell."""
        cached = self._widths.get(codepoint)
        if cached is None:
            advance = self.font["hmtx"][self.cmap[codepoint]][0]
            cached = self._widths[codepoint] = advance / self.units_per_em
        return cached


@cache
def source(filename: str) -> SourceFont:
    """The parsed font, kept for the life of the process. Every table the report uses is read
    here and the file closed, so reports rendered on several threads never share a file
    position; after this the font is only read from memory."""
    with _LOADING:
        font = TTFont(FONT_DIR / filename, lazy=True, recalcTimestamp=False)
        for tag in _TABLES_USED:
            font[tag]  # reading the table is the point
        cmap = dict(font.getBestCmap())
        font.close()
    return SourceFont(filename, font, cmap, int(font["head"].unitsPerEm))


@lru_cache(maxsize=8192)  # names recur: the payouts table, the timeline, the deductions
def clean(text: str) -> str:
    """Display-safe text: NFC (so accents use precomposed glyphs), no control characters, and
    a visible replacement for anything no bundled font can draw — never silently blank."""
    if text.isascii() and text.isprintable():
        return text  # DejaVu draws all of printable ASCII
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char in _SPACE_LIKE:
            out.append(" ")
        elif char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            continue
        elif _drawable(char):
            out.append(char)
        elif not _ignorable(char):
            out.append(REPLACEMENT)
    return "".join(out)


def has_visible(text: str) -> bool:
    """Does the text leave a mark on the page (not only spaces, joiners and selectors)?"""
    return any(not c.isspace() and not _ignorable(c) for c in text)


def _drawable(char: str) -> bool:
    codepoint = ord(char)
    return any(source(name).covers(codepoint) for name in (REGULAR, BOLD, *FALLBACKS))


def _ignorable(char: str) -> bool:
    """Invisible format characters and variation selectors: dropping one changes nothing a
    reader sees, while a replacement box would add a character that is not in the name."""
    codepoint = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or 0xFE00 <= codepoint <= 0xFE0F
        or 0xE0100 <= codepoint <= 0xE01EF
    )


def font_for(codepoint: int, primary: str) -> str:
    """The first font, primary then fallbacks, that has the character (clean() guarantees one
    does, or the primary draws the replacement character in its place)."""
    if source(primary).covers(codepoint):
        return primary
    for name in FALLBACKS:
        if source(name).covers(codepoint):
            return name
    return primary


class _PerCharacter(dict[str, Any]):
    """Character -> value for text set in ``primary``, worked out on first use: a report asks
    about the same few hundred characters tens of thousands of times."""

    def __init__(self, primary: str, of: Callable[[int, str], Any]) -> None:
        super().__init__()
        self._primary = primary
        self._of = of

    def __missing__(self, char: str) -> Any:
        value = self[char] = self._of(ord(char), self._primary)
        return value


def _width_of(codepoint: int, primary: str) -> float:
    return source(font_for(codepoint, primary)).width(codepoint)


@cache
def fonts_by_char(primary: str) -> dict[str, str]:
    """Which font file draws each character of text set in ``primary``."""
    return _PerCharacter(primary, font_for)


@cache
def widths_by_char(primary: str) -> dict[str, float]:
    """Advance width in ems of each character of text set in ``primary``."""
    return _PerCharacter(primary, _width_of)


def mini_font(filename: str, codepoints: Iterable[int]) -> bytes:
    """A TrueType font with only these characters' glyphs (plus the components composite glyphs
    need), unhinted, with the source's metrics and timestamps, so equal input gives equal bytes.

    Bounds are not recalculated: each glyph keeps its own, and the font-wide maxima are copied
    from the source, which bounds every subset of it. That keeps building cheap."""
    src = source(filename)
    cmap = {cp: src.cmap[cp] for cp in sorted(set(codepoints)) if cp in src.cmap}
    with _LOADING:
        names = _with_components(src, {".notdef", *cmap.values()})
        order = sorted(names, key=src.font.getGlyphID)
        glyphs = {name: src.unhinted(name) for name in order}
    builder = FontBuilder(src.units_per_em, isTTF=True)
    builder.font.recalcTimestamp = False
    builder.font.recalcBBoxes = False
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    # Not setupGlyf: it inspects every glyph's points, and simple glyphs here are still bytes.
    builder.font["loca"] = newTable("loca")
    glyf = builder.font["glyf"] = newTable("glyf")
    glyf.glyphs = glyphs
    glyf.glyphOrder = order
    builder.setupHorizontalMetrics({name: src.font["hmtx"][name] for name in order})
    _copy_font_tables(builder, src.font)
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def _with_components(src: SourceFont, names: set[str]) -> set[str]:
    """The glyphs plus every glyph a composite among them is assembled from."""
    pending = list(names)
    while pending:
        for component in src.components(pending.pop()):
            if component not in names:
                names.add(component)
                pending.append(component)
    return names


def _copy_font_tables(builder: FontBuilder, font: Any) -> None:
    """The metrics fpdf2 reads (ascent, cap height, weight, underline...) and the names."""
    head, hhea, os2, post = font["head"], font["hhea"], font["OS/2"], font["post"]
    builder.setupHorizontalHeader(**{key: getattr(hhea, key) for key in _HHEA_COPIED})
    builder.setupMaxp()
    for key in _MAXP_COPIED:
        setattr(builder.font["maxp"], key, getattr(font["maxp"], key))
    family = font["name"].getDebugName(1) or "Font"
    style = font["name"].getDebugName(2) or "Regular"
    builder.setupNameTable({"familyName": family, "styleName": style}, mac=False)
    builder.setupOS2(
        usWeightClass=os2.usWeightClass,
        sTypoAscender=os2.sTypoAscender,
        sTypoDescender=os2.sTypoDescender,
        sTypoLineGap=os2.sTypoLineGap,
        usWinAscent=os2.usWinAscent,
        usWinDescent=os2.usWinDescent,
        sCapHeight=getattr(os2, "sCapHeight", hhea.ascent),
        sxHeight=getattr(os2, "sxHeight", 0),
        yStrikeoutSize=os2.yStrikeoutSize,
        yStrikeoutPosition=os2.yStrikeoutPosition,
    )
    builder.setupPost(
        keepGlyphNames=False,
        isFixedPitch=post.isFixedPitch,
        italicAngle=post.italicAngle,
        underlinePosition=post.underlinePosition,
        underlineThickness=post.underlineThickness,
    )
    builder.updateHead(
        created=head.created,
        modified=head.modified,
        macStyle=head.macStyle,
        xMin=head.xMin,
        yMin=head.yMin,
        xMax=head.xMax,
        yMax=head.yMax,
    )
