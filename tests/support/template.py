"""infra/template.yaml as data: CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...) read as
their long forms by a safe YAML loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


class CfnLoader(yaml.SafeLoader):
    """A safe YAML loader that reads CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...)."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template() -> dict[str, Any]:
    document = yaml.load(TEMPLATE.read_text("utf-8"), Loader=CfnLoader)
    assert isinstance(document, dict)
    return document
