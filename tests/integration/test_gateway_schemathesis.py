"""schemathesis against the running gateway (a real process on loopback, real broker and
Redis): requests generated from its own OpenAPI document — every path, parameter, header
and body it declares, valid and not — never get a 5xx, and every error is the JSON
``{"error": ...}`` the document promises."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from bus.admin import ensure_topics
from schemas.topics import Topics
from sharing.registry import Subscribers
from tests.conftest import Infra, isolated_settings, new_namespace
from tests.integration.gateway import running_gateway

AGREEMENT = """subscriber = "partner"
sources = ["council", "fire"]
level = "records"
precision = "ward"
fields = ["category", "occurred"]
publish = ["council"]
"""


@pytest.fixture(scope="module")
def gateway_api(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("gateway-api")
    config = isolated_settings(infra, new_namespace(), tmp).model_copy(
        update={"gateway_rate": 10_000.0, "gateway_burst": 10_000}
    )
    ensure_topics(config.require_kafka(), Topics(config.topic_prefix), config.partitions)
    path = tmp / "partner.toml"
    path.write_text(AGREEMENT)
    _, key = Subscribers(config.subscribers_path, config.agreements_path).add("partner", path)
    assert key is not None
    with running_gateway(config, Path(tmp)) as base:
        yield base, key


def test_no_request_gets_a_server_error(gateway_api: tuple[str, str]) -> None:
    """Every operation, 60 valid and 60 invalid generated requests each (schemathesis'
    pytest plugin does not run under pytest 9, so its strategies are driven here)."""
    base, key = gateway_api
    api = schemathesis.openapi.from_url(f"{base}/v1/openapi.json")
    document = httpx.get(f"{base}/v1/openapi.json").json()
    operations = [result.ok() for result in api.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "GET /v1/stream",
        "GET /v1/counts",
        "POST /v1/events/{source}",
        "GET /v1/health",
    }
    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def no_server_error(case: schemathesis.Case) -> None:
            _check(case, base, key)

        try:
            no_server_error()
        except Unsatisfiable:  # nothing to make invalid: a path without parameters or body
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.path
            declared = document["paths"][operation.path][operation.method.lower()]
            assert not declared.get("parameters"), operation.path
            assert "requestBody" not in declared, operation.path


def _check(case: schemathesis.Case, base: str, key: str) -> None:
    request = case.as_transport_kwargs(base_url=base)
    headers = {k: str(v) for k, v in (request.get("headers") or {}).items()}
    if "authorization" not in {k.lower() for k in headers}:
        headers["Authorization"] = f"Bearer {key}"  # most requests get past the key check
    body = request.get("json")
    with httpx.stream(
        request["method"],
        request["url"],
        params=request.get("params"),
        headers=headers,
        content=request.get("data") if body is None else None,
        json=body,
        timeout=20,
    ) as response:
        assert response.status_code < 500, (case.as_curl_command(), response.read())
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/json")
            response.read()
            assert "error" in response.json()
