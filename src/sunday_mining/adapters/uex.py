"""The UEX Corp API 2.0 over httpx: the public price endpoints the price snapshot is built from.

Every answer is an envelope ``{status, http_code, data, message}`` and only ``status == "ok"``
counts: UEX reports quota and input errors in the envelope, not always in the HTTP code.
Failures become :class:`PriceSourceError` with a short reason; the token is never logged,
never put in an error and never in this object's repr.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from sunday_mining.domain.prices import PriceSourceError, SellQuote, YieldBonus, to_auec
from sunday_mining.domain.refining import MAX_BONUS_PERCENT, MIN_BONUS_PERCENT

log = logging.getLogger(__name__)

# uex.md: api.uexcorp.uk is the host on the official method pages (2026-07) and answered plain
# httpx, where uexcorp.space sat behind bot protection that turned httpx away.
DEFAULT_BASE_URL = "https://api.uexcorp.uk/2.0"
# UEX answers 403 to requests without a User-Agent.
USER_AGENT = "sunday-mining/0.1 (Discord mining payroll; httpx)"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
BACKOFF_BASE_S = 1.0
MAX_DELAY_S = 30.0  # also caps Retry-After: the refresh runs in a Lambda with a time limit
_RETRY_HTTP = frozenset({408, 429, 500, 502, 503, 504})
_SAFE_STATUS = re.compile(r"[^A-Za-z0-9_.-]")

Sleep = Callable[[float], None]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class UexCommodity:
    """A ``commodities`` row, reduced to what the catalogue and diagnostics need."""

    id: int
    id_parent: int
    name: str
    code: str
    is_raw: bool
    is_refined: bool
    price_sell: int | None  # the UEX-wide average, not a terminal price


@dataclass(frozen=True, slots=True)
class _Retry:
    reason: str
    retry_after_s: float | None = None


class UexClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        sleep: Sleep = time.sleep,
        max_attempts: int = 4,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = (token or "").strip() or None
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)

    def __repr__(self) -> str:
        return f"UexClient(base_url={self._base_url!r}, token={'set' if self._token else None})"

    # --- endpoints ----------------------------------------------------------------------------

    def commodities(self) -> list[UexCommodity]:
        return _rows("commodities", self.get("commodities"), _commodity)

    def commodities_prices_all(self) -> list[SellQuote]:
        """Refined (terminal-traded) sell prices at every commodity terminal."""
        return _rows("commodities_prices_all", self.get("commodities_prices_all"), _quote)

    def commodities_raw_prices_all(self) -> list[SellQuote]:
        """Raw ore sell prices at every refinery terminal."""
        data = self.get("commodities_raw_prices_all")
        return _rows("commodities_raw_prices_all", data, _quote)

    def refineries_yields(self) -> list[YieldBonus]:
        """Each refinery terminal's yield bonus per raw ore, in percent."""
        return _rows("refineries_yields", self.get("refineries_yields"), _yield_bonus)

    def game_versions(self) -> dict[str, str]:
        """``{"live": "4.x", "ptu": "..."}``: the versions to stamp a snapshot with."""
        data = self.get("game_versions")
        if not isinstance(data, Mapping):
            raise PriceSourceError("UEX answered an unexpected shape for game_versions.")
        return {str(k): str(v) for k, v in data.items() if isinstance(v, str | int | float)}

    # --- transport ----------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The envelope's ``data`` for a GET, after retries; raises PriceSourceError."""
        retry = _Retry("UEX unreachable")
        for attempt in range(1, self._max_attempts + 1):
            outcome = self._attempt(path, params)
            if not isinstance(outcome, _Retry):
                return outcome
            retry = outcome
            if attempt < self._max_attempts:
                delay = self._delay(attempt, retry.retry_after_s)
                log.warning("uex %s: %s; retry %d in %.1fs", path, retry.reason, attempt, delay)
                self._sleep(delay)
        raise PriceSourceError(f"{retry.reason} (gave up after {self._max_attempts} tries).")

    def _attempt(self, path: str, params: Mapping[str, str] | None) -> Any:
        try:
            response = self._http.get(
                f"{self._base_url}/{path}", params=params, headers=self._headers(), timeout=TIMEOUT
            )
        except httpx.TimeoutException:
            return _Retry("UEX timed out")
        except httpx.TransportError:
            return _Retry("UEX unreachable")
        return self._interpret(response)

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _interpret(self, response: httpx.Response) -> Any:
        code = response.status_code
        body = _json_or_none(response)
        status = body.get("status") if isinstance(body, dict) else None
        if status == "requests_limit_reached" or code == 429:
            return _Retry("UEX rate limit", _retry_after(response))
        if code in _RETRY_HTTP:
            return _Retry(f"UEX server error (HTTP {code})")
        if body is None:
            # A Cloudflare or proxy page: HTML with a 403, or garbage with a 200.
            if code >= 400:
                raise PriceSourceError(f"UEX refused the request (HTTP {code}).")
            raise PriceSourceError("UEX answered something that is not JSON.")
        if not isinstance(status, str):
            raise PriceSourceError("UEX answered without a status.")
        if status != "ok":
            raise PriceSourceError(f"UEX answered status '{self._safe(status)}'.")
        return body.get("data")

    def _delay(self, attempt: int, retry_after_s: float | None) -> float:
        # No jitter: one scheduled caller, so there is no herd to spread out.
        if retry_after_s is not None:
            return min(MAX_DELAY_S, max(0.0, retry_after_s))
        return min(MAX_DELAY_S, BACKOFF_BASE_S * 2.0 ** (attempt - 1))

    def _safe(self, status: str) -> str:
        """A status fit for an error message: short, plain, and never our token."""
        text = _SAFE_STATUS.sub("", status)
        if self._token:  # before truncating, so no prefix of the token survives either
            text = text.replace(self._token, "***")
        return text[:40]


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        return None


def _retry_after(response: httpx.Response) -> float | None:
    # Seconds only; an HTTP-date (rare) falls back to our own backoff.
    text = response.headers.get("Retry-After", "").strip()
    try:
        return float(text) if text else None
    except ValueError:
        return None


# --- rows -------------------------------------------------------------------------------------


def _rows(path: str, data: Any, parse: Callable[[Mapping[str, Any]], _T | None]) -> list[_T]:
    """Parse the rows of a list endpoint. ``data`` null means no rows. A row without the fields
    we need is skipped and counted; if every row is like that the API changed, and that is an
    error rather than a snapshot of nothing."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise PriceSourceError(f"UEX answered an unexpected shape for {path}.")
    parsed = [p for row in data if isinstance(row, Mapping) and (p := parse(row)) is not None]
    skipped = len(data) - len(parsed)
    if data and not parsed:
        raise PriceSourceError(f"UEX rows from {path} lack the fields we need.")
    if skipped:
        log.warning("uex %s: skipped %d of %d rows missing fields", path, skipped, len(data))
    return parsed


def _int(value: Any) -> int | None:
    """A positive id from a number or numeric text (marketplace endpoints send text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None


def _flag(value: Any) -> bool:
    return str(value).strip() not in ("", "0", "None", "False")


def _quote(row: Mapping[str, Any]) -> SellQuote | None:
    commodity_id, terminal_id = _int(row.get("id_commodity")), _int(row.get("id_terminal"))
    if commodity_id is None or terminal_id is None or "price_sell" not in row:
        return None
    name = str(row.get("terminal_name") or "").strip() or f"Terminal {terminal_id}"
    version = row.get("game_version")
    return SellQuote(
        commodity_id=commodity_id,
        terminal_id=terminal_id,
        terminal_name=name,
        price_sell=to_auec(row.get("price_sell")),
        game_version=str(version) if isinstance(version, str | int | float) else None,
    )


def _yield_bonus(row: Mapping[str, Any]) -> YieldBonus | None:
    terminal_id, commodity_id = _int(row.get("id_terminal")), _int(row.get("id_commodity"))
    percent = _whole(row.get("value"))
    if terminal_id is None or commodity_id is None or percent is None:
        return None
    if not MIN_BONUS_PERCENT <= percent <= MAX_BONUS_PERCENT:
        return None  # not a bonus any refinery gives: a bad report
    return YieldBonus(terminal_id, commodity_id, percent)


def _whole(value: Any) -> int | None:
    """A whole number, negative too, from a number or numeric text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit() and text.isascii():
            return int(text)
    return None


def _commodity(row: Mapping[str, Any]) -> UexCommodity | None:
    commodity_id, name = _int(row.get("id")), str(row.get("name") or "").strip()
    if commodity_id is None or not name:
        return None
    return UexCommodity(
        id=commodity_id,
        id_parent=_int(row.get("id_parent")) or 0,
        name=name,
        code=str(row.get("code") or "").strip(),
        is_raw=_flag(row.get("is_raw", 0)),
        is_refined=_flag(row.get("is_refined", 0)),
        price_sell=to_auec(row.get("price_sell")),
    )
