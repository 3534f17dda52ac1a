"""The metrics port: what the app measures, and where it goes. The CloudWatch (EMF) and
in-memory versions are adapters (``observability.py``); services receive a ``Metrics``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

Unit = Literal["Count", "Milliseconds", "Seconds"]


@dataclass(frozen=True)
class Metric:
    name: str
    unit: Unit
    value: float


class Metrics(ABC):
    """Where numbers go: CloudWatch (EMF) on AWS, memory locally and in tests."""

    @abstractmethod
    def emit(self, *points: Metric, **dimensions: str) -> None:
        """Publish points that share one dimension set (``Stack`` is always added)."""

    def count(self, name: str, value: float = 1, **dimensions: str) -> None:
        self.emit(Metric(name, "Count", value), **dimensions)
