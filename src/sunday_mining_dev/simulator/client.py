"""The local Discord: signs interactions, POSTs them to the app, and keeps the transcript.

Works in-process (an ASGI app, or any ``httpx.Client`` given to it) or over real HTTP. It
always keeps a :class:`SinkState` — the one the REST sink serves, when one runs — so an initial
response becomes a message that can be clicked, and follow-ups find their interaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from sunday_mining_dev.simulator.asgi_transport import AsgiTransport
from sunday_mining_dev.simulator.components import FieldValue, SelectValue
from sunday_mining_dev.simulator.exchange_rules import problems_with
from sunday_mining_dev.simulator.keys import DevKeyPair
from sunday_mining_dev.simulator.labels import (
    click_label,
    command_label,
    modal_label,
    select_label,
)
from sunday_mining_dev.simulator.model import SimChannel, SimGuild, SimUser
from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.options import CommandPath, OptionValue
from sunday_mining_dev.simulator.payloads import PayloadFactory
from sunday_mining_dev.simulator.rest_errors import DiscordError
from sunday_mining_dev.simulator.rest_state import SinkState
from sunday_mining_dev.simulator.sample_guild import sample_guild
from sunday_mining_dev.simulator.tamper import Tamper, signed_request
from sunday_mining_dev.simulator.transcript import Exchange, Transcript, next_seq

MessageLike = Mapping[str, Any] | Exchange
# What Discord's own requests say they are.
_DISCORD_USER_AGENT = "Discord-Interactions/1.0 (+https://discord.com)"


class DiscordSimulator:
    def __init__(
        self,
        http: httpx.Client,
        *,
        keys: DevKeyPair | None = None,
        guild: SimGuild | None = None,
        application_id: str | None = None,
        sink: SinkState | None = None,
        definitions: Sequence[JSON] | None = None,
        interactions_path: str = "/interactions",
        now_s: Callable[[], float] = time.time,
        deadline_s: float = 3.0,
    ) -> None:
        self.http = http
        self.keys = keys or DevKeyPair.generate()
        self.guild = guild or sample_guild()
        self.application_id = application_id or self.guild.ids.next()
        self.sink = sink or SinkState(application_id=self.application_id)
        self.payloads = PayloadFactory(self.application_id, self.guild, definitions=definitions)
        self.transcript = Transcript(self.sink.log, self.guild)
        self.path = interactions_path
        self.channel: SimChannel | None = None
        self._now_s = now_s
        self._deadline_s = deadline_s
        self._tamper: Tamper | None = None

    @classmethod
    def over_http(cls, base_url: str, **kwargs: Any) -> DiscordSimulator:
        """Drive an app listening at ``base_url`` (e.g. ``http://127.0.0.1:8080``)."""
        return cls(httpx.Client(base_url=base_url, timeout=10.0), **kwargs)

    @classmethod
    def in_process(cls, app: Any, **kwargs: Any) -> DiscordSimulator:
        """Drive an ASGI app in this process, with no socket at all."""
        http = httpx.Client(transport=AsgiTransport(app), base_url="http://simulator.local")
        return cls(http, **kwargs)

    @property
    def public_key_hex(self) -> str:
        """Configure the app with this, as production is configured with the portal's key."""
        return self.keys.public_key_hex

    def use_commands(self, definitions: Sequence[JSON] | None) -> None:
        """Type and check options against these definitions (what the app registers)."""
        self.payloads.definitions = definitions

    def use_registered_commands(self) -> list[JSON]:
        """Use what the app registered through the sink: global plus this guild's commands."""
        app_id = self.application_id
        definitions = self.sink.commands(app_id) + self.sink.commands(app_id, self.guild.id)
        self.payloads.definitions = definitions
        return definitions

    # -- the interactions a user can cause ---------------------------------------------------

    def ping(self) -> Exchange:
        return self.send(self.payloads.ping(), label="PING")

    def command(
        self, user: SimUser, path: CommandPath, /, **options: OptionValue | None
    ) -> Exchange:
        payload = self.payloads.command(user, path, options, channel=self.channel)
        return self.send(payload, label=command_label(path, options), user=user)

    def autocomplete(
        self,
        user: SimUser,
        path: CommandPath,
        /,
        *,
        focused: str,
        value: OptionValue,
        **options: OptionValue | None,
    ) -> Exchange:
        payload = self.payloads.autocomplete(
            user, path, focused, value, options, channel=self.channel
        )
        label = command_label(path, {**options, focused: value}) + f" (autocomplete {focused})"
        return self.send(payload, label=label, user=user)

    def click(self, user: SimUser, message: MessageLike, custom_id: str) -> Exchange:
        shown = _message(message)
        payload = self.payloads.component(user, shown, custom_id)
        return self.send(payload, label=click_label(shown, custom_id), user=user)

    def select(
        self, user: SimUser, message: MessageLike, custom_id: str, values: Sequence[SelectValue]
    ) -> Exchange:
        shown = _message(message)
        payload = self.payloads.component(user, shown, custom_id, values)
        return self.send(payload, label=select_label(shown, custom_id, values), user=user)

    def submit_modal(
        self,
        user: SimUser,
        custom_id: str,
        fields: Mapping[str, FieldValue],
        *,
        modal: MessageLike | None = None,
        message: MessageLike | None = None,
    ) -> Exchange:
        """``modal``: the exchange that opened it (or its ``data``), to mirror its exact tree."""
        modal_data, source = _modal_and_source(modal)
        source = _message(message) if message is not None else source
        payload = self.payloads.modal_submit(
            user, custom_id, fields, modal=modal_data, message=source, channel=self.channel
        )
        return self.send(payload, label=modal_label(custom_id, fields), user=user)

    # -- sending -----------------------------------------------------------------------------

    def send(
        self,
        payload: JSON,
        *,
        label: str | None = None,
        user: SimUser | None = None,
        tamper: Tamper | None = None,
    ) -> Exchange:
        """Sign ``payload`` now, POST the exact bytes, and record what came back."""
        tamper = tamper or self._tamper
        seq = next_seq()
        headers, body = signed_request(self.keys, payload, int(self._now_s()), tamper)
        if payload["type"] != 1:
            # Registered first: the app may call the webhooks before it answers (a race on Discord).
            self.sink.register_interaction(payload)
        started = time.perf_counter()
        response = self.http.post(self.path, content=body, headers=_headers(headers))
        elapsed_ms = (time.perf_counter() - started) * 1000
        exchange = Exchange(
            seq=seq,
            kind=_KIND_NAMES.get(int(payload["type"]), str(payload["type"])),
            label=label or _KIND_NAMES.get(int(payload["type"]), "interaction"),
            user=user.username if user else None,
            payload=payload,
            status=response.status_code,
            response=_json_or_none(response),
            response_text=response.text,
            tamper=str(tamper) if tamper else None,
            elapsed_ms=elapsed_ms,
        )
        if tamper is None:
            self._settle(exchange, response)
        self.transcript.add(exchange)
        return exchange

    def _settle(self, exchange: Exchange, response: httpx.Response) -> None:
        """Do what Discord does with the answer: show it, or fail the interaction."""
        content_type = response.headers.get("content-type")
        exchange.problems.extend(problems_with(exchange, content_type, self._deadline_s * 1000))
        if exchange.payload["type"] == 1:
            return
        if exchange.elapsed_ms > self._deadline_s * 1000:
            self.sink.mark_failed(exchange.token)
            return
        if response.status_code == 202:
            record = self.sink.interaction(exchange.token)
            exchange.via_callback = True
            if record is None or not record.responded:
                exchange.problems.append("answered 202 without calling the callback endpoint")
                return
            exchange.response = record.response_body
            exchange.message = self.sink.original_message(exchange.token)
            return
        if response.status_code == 200 and not exchange.problems:
            try:
                exchange.message = self.sink.record_initial_response(
                    exchange.token, exchange.response
                )
            except DiscordError as error:
                exchange.problems.append(f"Discord would reject the response: {error}")

    # -- context -----------------------------------------------------------------------------

    @contextmanager
    def tampered(self, tamper: Tamper) -> Iterator[None]:
        """Every request sent inside the block is spoiled this way."""
        previous, self._tamper = self._tamper, tamper
        try:
            yield
        finally:
            self._tamper = previous

    @contextmanager
    def at(self, channel: SimChannel) -> Iterator[None]:
        """Commands inside the block are invoked from ``channel`` (default: first text channel)."""
        previous, self.channel = self.channel, channel
        try:
            yield
        finally:
            self.channel = previous

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DiscordSimulator:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


_KIND_NAMES = {
    1: "PING",
    2: "APPLICATION_COMMAND",
    3: "MESSAGE_COMPONENT",
    4: "APPLICATION_COMMAND_AUTOCOMPLETE",
    5: "MODAL_SUBMIT",
}


def _headers(signature_headers: dict[str, str]) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": _DISCORD_USER_AGENT,
        **signature_headers,
    }


def _json_or_none(response: httpx.Response) -> Any | None:
    try:
        return response.json()
    except ValueError:
        return None


def _message(message: MessageLike) -> Mapping[str, Any]:
    if isinstance(message, Exchange):
        if message.message is None:
            raise ValueError(f"exchange {message.label!r} created no message to act on")
        return message.message
    if "id" not in message:
        raise ValueError("pass a message object (with an id), e.g. exchange.message")
    return message


def _modal_and_source(
    modal: MessageLike | None,
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    if not isinstance(modal, Exchange):
        return modal, None
    if modal.response_type != 9:
        raise ValueError(f"exchange {modal.label!r} did not open a modal")
    source = modal.payload.get("message")
    return modal.data, source if isinstance(source, dict) else None
