"""What Discord would object to in the app's answer to an interaction (discord.md §1.2-1.10).

Problems are collected on the exchange, not raised: a test asserts ``exchange.problems == []``
and sees every reason at once, the way a user would only see "This interaction failed".
"""

from __future__ import annotations

from sunday_mining_dev.simulator.messages import MessageFlag
from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.transcript import Exchange

# Interaction type → the callback types Discord accepts for it.
_ALLOWED = {
    1: {1},
    2: {4, 5, 9},
    3: {4, 5, 6, 7, 9},
    4: {8},
    5: {4, 5, 6, 7},
}


def problems_with(exchange: Exchange, content_type: str | None, deadline_ms: float) -> list[str]:
    found: list[str] = []
    if exchange.elapsed_ms > deadline_ms:
        found.append(f"answered after {exchange.elapsed_ms:.0f} ms; Discord gives up at 3 s")
    if exchange.status == 202:
        if exchange.response_text:
            found.append("a 202 (response sent via the callback endpoint) must have no body")
        return found
    if exchange.status != 200:
        return [*found, f"HTTP {exchange.status}: the user sees 'This interaction failed'"]
    if not (content_type or "").startswith("application/json"):
        found.append(f"Content-Type {content_type!r} is not application/json")
    if exchange.response_type is None:
        return [*found, "the body is not an interaction response ({'type': …})"]
    return found + _type_problems(exchange)


def _type_problems(exchange: Exchange) -> list[str]:
    kind = int(exchange.payload["type"])
    answer = exchange.response_type or 0
    if answer not in _ALLOWED.get(kind, set()):
        return [f"callback type {answer} is not allowed for interaction type {kind}"]
    if kind == 5 and answer in (6, 7) and "message" not in exchange.payload:
        return ["types 6/7 after a modal need the modal to come from a message component"]
    checks = {5: _defer_problems, 8: _choice_problems, 9: _modal_problems}
    return checks[answer](exchange.data) if answer in checks else []


def _defer_problems(data: JSON) -> list[str]:
    extra = int(data.get("flags") or 0) & ~MessageFlag.EPHEMERAL
    return [f"a defer may only carry the EPHEMERAL flag, not {extra}"] if extra else []


def _choice_problems(data: JSON) -> list[str]:
    choices = data.get("choices") or []
    found = [f"{len(choices)} autocomplete choices; at most 25"] if len(choices) > 25 else []
    for choice in choices:
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            found.append(f"choice name {choice.get('name')!r} is not 1-100 characters")
        if isinstance(choice.get("value"), str) and len(choice["value"]) > 100:
            found.append(f"choice value {choice['value'][:20]!r}… is over 100 characters")
    return found


def _modal_problems(data: JSON) -> list[str]:
    found: list[str] = []
    if not 1 <= len(str(data.get("custom_id", ""))) <= 100:
        found.append("a modal custom_id is 1-100 characters")
    if not 1 <= len(str(data.get("title", ""))) <= 45:
        found.append("a modal title is 1-45 characters")
    if not 1 <= len(data.get("components") or []) <= 5:
        found.append("a modal has 1-5 top-level components")
    return found
