"""Container entry point of the voice worker (the same as `sunday-mining worker`)."""

from __future__ import annotations

import sys

from sunday_mining.entrypoints.worker import main

if __name__ == "__main__":
    sys.exit(main())
