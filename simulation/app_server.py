"""Serving the teaching page (simulation.app): Solara's server, in this process, on 127.0.0.1 only.

Two guards sit in front of Solara's ASGI app (``same_origin_only``): a request must name the page's
own host (127.0.0.1:PORT or localhost:PORT; a DNS-rebinding page names its own), and a websocket
must come from a page of that origin (a browser sends its page's Origin with every websocket, so a
foreign page cannot drive the model). uvicorn stops the server on SIGINT and SIGTERM.

Nothing here imports Solara until ``serve`` runs: Solara is the ``app`` extra.
"""

from __future__ import annotations

import os
import socket
import warnings
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from simulation.extras import require

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]
HOST = "127.0.0.1"
#: websocket close code for a refused connection (RFC 6455 1008, policy violation); sent before the
#: handshake is accepted, the server answers the upgrade with HTTP 403
POLICY_VIOLATION = 1008


class PortInUseError(OSError):
    """The port asked for is taken."""


def own_hosts(port: int) -> frozenset[str]:
    """The Host headers (and, with ``http://``, the Origins) under which the page is its own."""
    return frozenset({f"{HOST}:{port}", f"localhost:{port}"})


def same_origin_only(app: ASGIApp, port: int) -> ASGIApp:
    """``app`` behind two checks: an HTTP request or websocket whose Host is not the page's own is
    answered 403 (or refused), and a websocket whose Origin is not ``http://`` + the page's own host is
    refused before the handshake (a missing Origin too: browsers always send one)."""
    hosts = own_hosts(port)
    origins = frozenset(f"http://{host}" for host in hosts)

    async def guarded(scope: Scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await app(scope, receive, send)
        headers = {name.lower(): value.decode("latin-1") for name, value in scope["headers"]}
        allowed = headers.get(b"host", "") in hosts
        if scope["type"] == "websocket":
            if allowed and headers.get(b"origin", "") in origins:
                return await app(scope, receive, send)
            return await send({"type": "websocket.close", "code": POLICY_VIOLATION})
        if allowed:
            return await app(scope, receive, send)
        await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"this page is served to its own host only\n"})

    return guarded


def check_port_free(port: int) -> None:
    """Raise PortInUseError (one line naming --port) when 127.0.0.1:``port`` is taken."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind((HOST, port))
        except OSError:
            raise PortInUseError(f"--port {port} is in use; choose another from 1024 to 65535") from None


def serve(port: int) -> None:
    """Serve the page on 127.0.0.1:``port`` until SIGINT or SIGTERM (uvicorn shuts down on either).

    Solara's JavaScript comes from the solara-assets package (pinned to solara's version), so the
    page renders without internet."""
    require("solara", "app", "the teaching page")
    check_port_free(port)
    # read when Solara's modules are imported (`solara run` sets SOLARA_APP too late for the import below)
    os.environ.update({"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_APP": "simulation.app"})
    # plain http on 127.0.0.1 is intended: Solara's cookie advice is for pages served to others
    warnings.filterwarnings("ignore", "Cookies with samesite=none require https")
    import solara.server.starlette as solara_starlette
    from solara.__main__ import cli

    # `solara run` has uvicorn import solara.server.starlette:app by name: the guarded app is found there
    solara_starlette.app = same_origin_only(solara_starlette.app, port)
    arguments = ["run", "simulation.app", "--host", HOST, "--port", str(port)]
    cli.main([*arguments, "--production", "--no-open", "--no-check-version"], standalone_mode=False)
