"""Check the built Lambda folders: PDF rendering (fpdf2, its dependencies, the fonts) is in the
reports function and nowhere else; every function has its handler and the app package.

Usage: python infra/scripts/check_artifacts.py build/lambda
"""

from __future__ import annotations

import sys
from pathlib import Path

RENDERING = (
    "fpdf",
    "fontTools",
    "PIL",
    "sunday_mining/reports/fonts",
    "sunday_mining/reports/pdf.py",
)
HANDLERS = {
    "InteractionsFunction": "functions/interactions/handler.py",
    "PricingRefreshFunction": "functions/pricing_refresh/handler.py",
    "ReportsFunction": "functions/reports/handler.py",
}


def problems(root: Path) -> list[str]:
    found = []
    for function, handler in HANDLERS.items():
        folder = root / function
        if not (folder / handler).is_file():
            found.append(f"{function}: {handler} is missing")
        for kept in ("model.py", "service.py", "links.py", "files.py", "cells.py", "ledger_csv.py"):
            if not (folder / "sunday_mining" / "reports" / kept).is_file():
                found.append(f"{function}: the sunday_mining package is incomplete ({kept})")
        for part in RENDERING:
            present = (folder / part).exists()
            if function == "ReportsFunction" and not present:
                found.append(f"{function}: {part} is missing")
            if function != "ReportsFunction" and present:
                found.append(f"{function}: {part} must stay in the reports function")
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "build/lambda")
    found = problems(root)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print("artifacts: PDF rendering only in ReportsFunction; every handler present")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
