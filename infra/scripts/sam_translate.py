"""Expand the SAM template to plain CloudFormation, offline, for scanners that do not know SAM.

    python infra/scripts/sam_translate.py infra/template.yaml build/iac/template.cfn.json

Uses aws-sam-translator (the library `sam build`/`sam deploy` use) without AWS: no managed
policy is looked up (the template names none by SAM policy template).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform  # type: ignore[import-untyped]
from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]


class _NoManagedPolicies:
    """The translator asks IAM for AWS managed policy ARNs only when a template names one."""

    def load(self) -> dict[str, str]:
        return {}


def translate(source: Path) -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # no AWS call is made
    template = yaml_parse(source.read_text("utf-8"))
    # What `sam package` would do: local code folders become S3 objects (a placeholder here).
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in properties:
            properties["CodeUri"] = "s3://placeholder-bucket/placeholder-key.zip"
    parameters = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "1" * 12}
    result: dict[str, Any] = transform(template, parameters, _NoManagedPolicies())
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    target = Path(argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(translate(Path(argv[1])), indent=2) + "\n", "utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
