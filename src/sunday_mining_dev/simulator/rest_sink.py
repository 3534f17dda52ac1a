"""A local stand-in for ``https://discord.com/api/v10``, for the app's outbound calls.

Routes only translate HTTP to :class:`SinkState` and back; every call, including the refused ones,
is recorded in ``state.log``. Run it in-process with :func:`running_sink`, or on its own with
``python -m sunday_mining_dev.simulator.rest_sink --port 8081``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from sunday_mining_dev.simulator.form_data import UploadedFile, parse_multipart
from sunday_mining_dev.simulator.rest_errors import (
    DiscordError,
    Reply,
    Route,
    invalid_form_body,
)
from sunday_mining_dev.simulator.rest_state import SinkState
from sunday_mining_dev.simulator.serve import serve_asgi
from sunday_mining_dev.simulator.transcript import RestCall, next_seq

API_PREFIX = "/api/v10"
Operation = Callable[[Any, list[UploadedFile]], Reply]
# Discord sends these on every answer; clients that read them should find sane values.
_RATE_HEADERS = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4"}


class _Call:
    """One request on its way through: parse, authorise, maybe fault, run, record."""

    def __init__(self, state: SinkState, request: Request, route: Route) -> None:
        self.state = state
        self.request = request
        self.route = route
        self.payload: Any = None
        self.files: list[UploadedFile] = []
        self.auth: str | None = None
        self.fault: str | None = None

    async def run(self, operation: Operation, *, bot: bool, body: bool) -> Response:
        seq = next_seq()
        try:
            reply = await self._attempt(operation, bot=bot, body=body)
        except DiscordError as error:
            reply = error.reply()
        self._record(seq, reply)
        return _to_response(reply)

    async def _attempt(self, operation: Operation, *, bot: bool, body: bool) -> Reply:
        if bot:
            self.auth = self.state.check_bot(self.request.headers.get("authorization"))
        if body:
            self.payload, self.files = await _read_body(self.request)
        fault = self.state.take_fault(self.route, self.request.url.path.removeprefix(API_PREFIX))
        if fault is not None:
            self.fault = fault.label
            if fault.served:
                operation(self.payload, self.files)
            return fault.reply()
        return operation(self.payload, self.files)

    def _record(self, seq: int, reply: Reply) -> None:
        # The digest lets a saved transcript prove which bytes went out without holding them.
        files = [
            {
                "field": f.field,
                "filename": f.filename,
                "size": len(f.data),
                "type": f.content_type,
                "sha256": hashlib.sha256(f.data).hexdigest(),
            }
            for f in self.files
        ]
        call = RestCall(
            seq=seq,
            method=self.request.method,
            path=self.request.url.path,
            route=str(self.route),
            status=reply.status,
            request=self.payload,
            files=files,
            response=f"<{len(reply.body)} bytes>" if isinstance(reply.body, bytes) else reply.body,
            user_agent=self.request.headers.get("user-agent"),
            auth=self.auth,
            fault=self.fault,
        )
        self.state.log.append(call)


async def _read_body(request: Request) -> tuple[Any, list[UploadedFile]]:
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    if content_type.startswith("multipart/form-data"):
        try:
            form = parse_multipart(content_type, raw)
        except (ValueError, UnicodeDecodeError):
            raise invalid_form_body(
                "", "CONTENT_TYPE_INVALID", "Malformed multipart body"
            ) from None
        payload = _json(form.fields.get("payload_json", "{}"))
        return payload, form.files
    if not content_type.startswith("application/json"):
        # Discord refuses a body it cannot type; discord.md §1.6 (error 50035).
        raise invalid_form_body("", "CONTENT_TYPE_INVALID", f"Expected JSON, got {content_type!r}")
    return _json(raw.decode("utf-8") if raw else "null"), []


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from exc


def _to_response(reply: Reply) -> Response:
    headers = {**_RATE_HEADERS, **reply.headers}
    if reply.body is None:
        return Response(status_code=reply.status, headers=headers)
    if isinstance(reply.body, bytes):
        return Response(reply.body, reply.status, headers)
    content = json.dumps(reply.body, ensure_ascii=False)
    return Response(content, reply.status, headers, media_type="application/json")


def _ok(body: Any) -> Reply:
    return Reply(200, body)


def _webhook_routes(state: SinkState, api: APIRouter) -> None:
    def call(request: Request, route: Route) -> _Call:
        return _Call(state, request, route)

    @api.post("/webhooks/{app_id}/{token}")
    async def execute_webhook(request: Request, app_id: str, token: str) -> Response:
        def run(payload: Any, files: list[UploadedFile]) -> Reply:
            return _ok(state.execute_webhook(app_id, token, payload, files))

        return await call(request, Route.EXECUTE_WEBHOOK).run(run, bot=False, body=True)

    @api.get("/webhooks/{app_id}/{token}/messages/{message_id}")
    async def get_message(request: Request, app_id: str, token: str, message_id: str) -> Response:
        def run(_: Any, __: list[UploadedFile]) -> Reply:
            return _ok(state.webhook_message(app_id, token, message_id))

        return await call(request, Route.GET_WEBHOOK_MESSAGE).run(run, bot=False, body=False)

    @api.patch("/webhooks/{app_id}/{token}/messages/{message_id}")
    async def edit_message(request: Request, app_id: str, token: str, message_id: str) -> Response:
        def run(payload: Any, files: list[UploadedFile]) -> Reply:
            return _ok(state.edit_webhook_message(app_id, token, message_id, payload, files))

        return await call(request, Route.EDIT_WEBHOOK_MESSAGE).run(run, bot=False, body=True)

    @api.delete("/webhooks/{app_id}/{token}/messages/{message_id}")
    async def delete_message(
        request: Request, app_id: str, token: str, message_id: str
    ) -> Response:
        def run(_: Any, __: list[UploadedFile]) -> Reply:
            state.delete_webhook_message(app_id, token, message_id)
            return Reply(204)

        return await call(request, Route.DELETE_WEBHOOK_MESSAGE).run(run, bot=False, body=False)

    @api.post("/interactions/{interaction_id}/{token}/callback")
    async def callback(request: Request, interaction_id: str, token: str) -> Response:
        with_response = request.query_params.get("with_response", "").lower() == "true"

        def run(payload: Any, _: list[UploadedFile]) -> Reply:
            body = state.interaction_callback(
                interaction_id, token, payload, with_response=with_response
            )
            return Reply(204) if body is None else _ok(body)

        return await call(request, Route.INTERACTION_CALLBACK).run(run, bot=False, body=True)


def _bot_routes(state: SinkState, api: APIRouter) -> None:
    def call(request: Request, route: Route) -> _Call:
        return _Call(state, request, route)

    @api.put("/applications/{app_id}/commands")
    async def put_global(request: Request, app_id: str) -> Response:
        def run(payload: Any, _: list[UploadedFile]) -> Reply:
            return _ok(state.put_commands(app_id, None, payload))

        return await call(request, Route.PUT_GLOBAL_COMMANDS).run(run, bot=True, body=True)

    @api.put("/applications/{app_id}/guilds/{guild_id}/commands")
    async def put_guild(request: Request, app_id: str, guild_id: str) -> Response:
        def run(payload: Any, _: list[UploadedFile]) -> Reply:
            return _ok(state.put_commands(app_id, guild_id, payload))

        return await call(request, Route.PUT_GUILD_COMMANDS).run(run, bot=True, body=True)

    @api.get("/applications/{app_id}/commands")
    async def get_global(request: Request, app_id: str) -> Response:
        def run(_: Any, __: list[UploadedFile]) -> Reply:
            return _ok(state.commands(app_id))

        return await call(request, Route.GET_GLOBAL_COMMANDS).run(run, bot=True, body=False)

    @api.get("/applications/{app_id}/guilds/{guild_id}/commands")
    async def get_guild(request: Request, app_id: str, guild_id: str) -> Response:
        def run(_: Any, __: list[UploadedFile]) -> Reply:
            return _ok(state.commands(app_id, guild_id))

        return await call(request, Route.GET_GUILD_COMMANDS).run(run, bot=True, body=False)

    @api.post("/channels/{channel_id}/messages")
    async def create_message(request: Request, channel_id: str) -> Response:
        def run(payload: Any, files: list[UploadedFile]) -> Reply:
            return _ok(state.create_channel_message(channel_id, payload, files))

        return await call(request, Route.CREATE_MESSAGE).run(run, bot=True, body=True)

    @api.post("/users/@me/channels")
    async def create_dm(request: Request) -> Response:
        def run(payload: Any, _: list[UploadedFile]) -> Reply:
            return _ok(state.create_dm(payload))

        return await call(request, Route.CREATE_DM).run(run, bot=True, body=True)

    @api.get("/users/@me")
    async def current_user(request: Request) -> Response:
        def run(_: Any, __: list[UploadedFile]) -> Reply:
            return _ok(state.current_user())

        return await call(request, Route.GET_CURRENT_USER).run(run, bot=True, body=False)


def _file_routes(state: SinkState, app: FastAPI) -> None:
    @app.get("/attachments/{channel_id}/{attachment_id}/{filename}")
    async def attachment(
        request: Request, channel_id: str, attachment_id: str, filename: str
    ) -> Response:
        def run(_: Any, __: list[UploadedFile]) -> Reply:
            data = state.attachment(attachment_id)
            if data is None:
                raise DiscordError(404, 0, "404: Not Found")
            return Reply(200, data, {"Content-Type": "application/octet-stream"})

        return await _Call(state, request, Route.GET_ATTACHMENT).run(run, bot=False, body=False)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown(request: Request, path: str) -> Response:
        # Unversioned or mistyped paths land here, recorded, with Discord's 404 body.
        def run(_: Any, __: list[UploadedFile]) -> Reply:
            return Reply(404, {"message": "404: Not Found", "code": 0})

        return await _Call(state, request, Route.UNKNOWN).run(run, bot=False, body=False)


def create_sink_app(state: SinkState) -> FastAPI:
    app = FastAPI(title="Discord REST sink", docs_url=None, redoc_url=None, openapi_url=None)
    api = APIRouter(prefix=API_PREFIX)
    _webhook_routes(state, api)
    _bot_routes(state, api)
    app.include_router(api)
    _file_routes(state, app)
    return app


@contextmanager
def running_sink(state: SinkState | None = None, *, port: int = 0) -> Iterator[str]:
    """Serve ``state`` on 127.0.0.1; yields the API base URL ``http://127.0.0.1:PORT/api/v10``."""
    state = state if state is not None else SinkState(strict_tokens=False)
    with serve_asgi(create_sink_app(state), port=port) as root:
        state.base_url = root
        yield root + API_PREFIX


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local stand-in for Discord's REST API.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--application-id", default=None)
    args = parser.parse_args(argv)
    state = SinkState(application_id=args.application_id, strict_tokens=False)
    with running_sink(state, port=args.port) as base_url:
        print(f"Discord REST sink at {base_url} (Ctrl-C stops it)")
        try:
            _wait_forever()
        except KeyboardInterrupt:
            print(f"{len(state.log.calls)} calls recorded")


def _wait_forever() -> None:
    threading.Event().wait()


if __name__ == "__main__":
    main()
