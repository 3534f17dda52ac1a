"""infra/scripts/sam_local_api.py: the built template plus an HTTP API route to the interactions
function, since `sam local start-api` serves no Function URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "scripts" / "sam_local_api.py"


def test_the_local_api_template_routes_everything_to_the_interactions_function(
    tmp_path: Path,
) -> None:
    built = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "InteractionsFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "InteractionsFunction", "FunctionUrlConfig": {}},
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "t"}},
        },
    }
    source = tmp_path / "template.yaml"
    source.write_text(yaml.safe_dump(built), "utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(source)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    local = yaml.safe_load((tmp_path / "template-local-api.yaml").read_text("utf-8"))
    function = local["Resources"]["InteractionsFunction"]["Properties"]
    assert function["Events"] == {
        "LocalApi": {
            "Type": "HttpApi",
            "Properties": {"Path": "/{proxy+}", "Method": "ANY", "PayloadFormatVersion": "2.0"},
        }
    }
    assert function["CodeUri"] == "InteractionsFunction"
    assert local["Resources"]["Table"] == built["Resources"]["Table"]
