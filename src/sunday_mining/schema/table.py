"""The table definition, declared once. Infra, adapters and the health check all read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexDef:
    name: str
    partition_key: str
    sort_key: str
    projection: str = "ALL"


@dataclass(frozen=True)
class TableDef:
    partition_key: str
    sort_key: str
    indexes: tuple[IndexDef, ...]
    ttl_attribute: str

    def index(self, name: str) -> IndexDef:
        for index in self.indexes:
            if index.name == name:
                return index
        raise KeyError(name)

    @property
    def key_attributes(self) -> tuple[str, ...]:
        names = [self.partition_key, self.sort_key]
        for index in self.indexes:
            names += [index.partition_key, index.sort_key]
        return tuple(names)


# gsi1: sparse index of active sessions per guild (present only while a session is active).
# gsi2: sessions per creator per guild, for "your sessions" lists and autocomplete.
TABLE = TableDef(
    partition_key="pk",
    sort_key="sk",
    indexes=(
        IndexDef(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),
        IndexDef(name="gsi2", partition_key="gsi2pk", sort_key="gsi2sk"),
    ),
    ttl_attribute="ttl",
)
