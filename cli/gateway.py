"""``safer gateway``: the subscriber gateway (``gateway.app``) on uvicorn."""

from __future__ import annotations

import argparse

from cli.common import Subparsers, settings_for


def _gateway(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app

    settings = settings_for(args, "gateway")
    host = args.host or settings.gateway_host
    port = settings.gateway_port if args.port is None else args.port
    address = ":".join((host, str(port)))
    print(f"subscriber gateway on http://{address}/v1 (OpenAPI: /v1/openapi.json)")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def register_gateway(sub: Subparsers) -> None:
    p = sub.add_parser(
        "gateway",
        help="run the subscriber gateway (SSE, webhooks, REST, ingest)",
        description="Serves subscribers that do not speak Kafka over HTTP: Server-Sent "
        "Events of their topic, counts under their agreement, and ingest for partner "
        "systems, authenticated by the API keys of `safer subscribers`. `safer up` starts "
        "one; run this alone in production (behind TLS).",
    )
    p.add_argument("--host", help="address to listen on (default SAFER_GATEWAY_HOST)")
    p.add_argument("--port", type=int, help="port (default SAFER_GATEWAY_PORT; 0: a free one)")
    p.set_defaults(handler=_gateway)
