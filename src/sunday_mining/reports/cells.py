"""A spreadsheet cell of untrusted text, shown as typed: the one rule of every CSV the app writes
(the payroll's, reports/csv_export.py, and the ledger's, reports/ledger_csv.py).

Display and session names are typed by members. A spreadsheet whose list separator is ``;`` or a
tab (common in Europe) splits a field the file quotes as one, so every part that could be split
off on ``,``, ``;``, a tab or a line end and then starts like a formula (= + - @) gets an
apostrophe before it, so it is shown as text, never evaluated.

Its own module because the ledger's CSV is made by the interactions function when its link is
opened, and that function is built without the report renderers (csv_export.py among them; see
infra/Makefile). Standard library only.
"""

from __future__ import annotations

import re

# A part a spreadsheet could split off (the start, or after a separator), then optional blanks
# and quotes a program may skip, then a character that starts a formula.
_FORMULA_PART = re.compile(r"(^|[,;\t\r\n])([\s\"']*)([=+\-@])")
_SKIPPED_STARTS = ("\t", "\r", "\n")


def text_cell(value: str) -> str:
    """A cell a spreadsheet shows as typed, however it splits it. Lone surrogates cannot be
    written as UTF-8, so they become the replacement character; NUL is dropped because some
    readers stop at it."""
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    value = _FORMULA_PART.sub(r"\1\2'\3", value)
    return "'" + value if value.startswith(_SKIPPED_STARTS) else value
