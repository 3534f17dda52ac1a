"""Give the built template an HTTP API route to the interactions function, for
`sam local start-api`.

sam local serves Api and HttpApi events but not Function URLs, the stack's only way in. This
reads the template `sam build` wrote (intrinsic functions already in their long form), adds an
HttpApi event ``ANY /{proxy+}`` to InteractionsFunction (payload format 2.0, what the Function
URL sends) and writes ``template-local-api.yaml`` beside it. Nothing deployed reads that file.

    python infra/scripts/sam_local_api.py [infra/.aws-sam/build/template.yaml]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT = Path(__file__).resolve().parents[1] / ".aws-sam" / "build" / "template.yaml"
FUNCTION = "InteractionsFunction"


def with_local_api(template: dict[str, Any]) -> dict[str, Any]:
    function = template["Resources"][FUNCTION]
    events = function["Properties"].setdefault("Events", {})
    events["LocalApi"] = {
        "Type": "HttpApi",
        "Properties": {"Path": "/{proxy+}", "Method": "ANY", "PayloadFormatVersion": "2.0"},
    }
    return template


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT
    if not source.is_file():
        print(f"error: {source} not found; run `sam build` in infra/ first.", file=sys.stderr)
        return 1
    template = yaml.safe_load(source.read_text("utf-8"))
    target = source.with_name("template-local-api.yaml")
    target.write_text(yaml.safe_dump(with_local_api(template), sort_keys=False), "utf-8")
    print(f"wrote {target}: sam local start-api -t {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
