"""The settings of subscribers and their gateway: agreements, the gateway's address and
limits, webhooks, the aggregate change stream and the morning briefings. A part of
``safer.settings.Settings`` (which inherits them, with its ``SAFER_`` prefix), kept apart so
that each concern's settings are found together."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings


class SubscriberSettings(BaseSettings):
    gateway_host: str = Field(
        default="127.0.0.1", description="Address the subscriber gateway listens on."
    )
    gateway_port: int = Field(
        default=8600, ge=0, description="Subscriber gateway port (0: a free port)."
    )
    gateway_rate: float = Field(
        default=50.0, gt=0, description="Requests a second one API key may make (sustained)."
    )
    gateway_burst: int = Field(
        default=200, ge=1, description="Requests one API key may make at once above its rate."
    )
    gateway_max_body: int = Field(
        default=65_536, ge=1024, description="Largest request body the gateway accepts (bytes)."
    )
    webhook_retry_s: list[float] = Field(
        default=[5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Waits between webhook delivery attempts (JSON list of seconds).",
    )
    aggregates_interval_s: float = Field(
        default=1.0, gt=0, description="How often the worker publishes changed aggregate counts."
    )
    briefing_hour: int = Field(
        default=7, ge=0, le=23, description="Hour (UK time) of the subscribers' morning briefings."
    )
    briefing_from: str = Field(
        default="safer-tracker@localhost",
        description="From: address of the briefings' e-mail messages (.eml).",
    )
    agreements: Path | None = Field(
        default=None,
        description="Folder of the subscribers' sharing agreements, one <name>.toml each "
        "(default <state_dir>/agreements).",
    )
    agreements_reload_s: float = Field(
        default=10.0, gt=0, description="How often the worker re-reads the sharing agreements."
    )
