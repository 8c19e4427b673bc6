"""The one place configuration comes from: environment variables prefixed ``SAFER_``.

Built once in an entry point (``cli.main``, the faust worker, the dashboard) and passed
down; no other module reads ``os.environ``. Every field is documented in the README's
settings table (``safer settings`` prints the effective values, secrets masked).

When ``kafka_bootstrap`` / ``redis_url`` are not set, commands run from another terminal
find the running local stack through its state file (``<state_dir>/stack.json``, written
by ``safer up``), so no extra flags are needed.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from safer.spans import SPAN_PATTERN
from safer.subscriber_settings import SubscriberSettings

STACK_FILE_NAME = "stack.json"
SIGNIN_KEY_FILE = Path("signin-secret")  # in the state folder


class Settings(SubscriberSettings):
    """Effective configuration of one safer-tracker process."""

    model_config = SettingsConfigDict(env_prefix="SAFER_", extra="ignore", frozen=True)

    kafka_bootstrap: str | None = Field(
        default=None,
        description="Kafka bootstrap servers (host:port[,host:port]). Unset: the local stack's "
        "embedded broker.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL. Unset: the local stack's own redis-server.",
    )
    topic_prefix: str = Field(
        default="safer.",
        description="Prefix of every Kafka topic name (one namespace per deployment).",
    )
    redis_prefix: str = Field(
        default="safer:", description="Prefix of every Redis key written or read by safer-tracker."
    )
    consumer_group: str = Field(
        default="safer-worker", description="Stream worker's consumer group (faust app id)."
    )
    partitions: int = Field(
        default=3, ge=1, description="Partitions of each topic created by safer."
    )
    state_dir: Path = Field(
        default=Path(".safer"), description="Local state folder: stack file, Redis data, logs."
    )
    session_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Consumer-group session timeout; a first join takes about half.",
    )
    fetch_max_wait_ms: int = Field(
        default=100, ge=1, description="Worker consumer's fetch wait (faust's own is 1,500 ms)."
    )
    batch_size: int = Field(
        default=500, ge=1, description="Most events a stream agent handles at once."
    )
    rebuild_chunk_events: int = Field(
        default=4000,
        ge=1,
        description="Events `safer rebuild` applies per Redis call (their deltas merge first; "
        "each call holds Redis about 0.25 s at 4,000).",
    )
    latest_incidents: int = Field(
        default=200, ge=1, description="Length of the latest-incidents ticker."
    )
    simulator_rate: float = Field(
        default=0.03,
        gt=0,
        description="Simulated incidents per second across all partners, the weekly mean "
        "(busy hours reach about twice it, the small hours a fifth); 0.03 is about 950,000 a "
        "year, some 19 times Wirral's real volume, so 8 weeks of history are counted in about "
        "a minute on a 2-core machine.",
    )
    simulator_history: str = Field(
        default="9w",
        pattern=SPAN_PATTERN,
        description="Simulated history `safer up` publishes on an empty log before live "
        "traffic starts: 0 (none) or days, weeks or years such as 30d, 12w, 2y (default: the "
        "8 baseline weeks before the current week, so verdicts appear from the first minute).",
    )
    simulator_history_max_events: int = Field(
        default=3_000_000,
        ge=0,
        description="Most events a simulated history may have (span x rate); a larger one is "
        "refused with the figures, before anything is published.",
    )
    dashboard_port: int = Field(default=8501, ge=0, description="Dashboard port (0: a free port).")
    dashboard_refresh_s: float = Field(default=3.0, gt=0, description="Live panel refresh period.")
    dashboard_accounts: Path | None = Field(
        default=None,
        description="Dashboard accounts file (default <state_dir>/dashboard-accounts.json; "
        "`safer accounts add`).",
    )
    dashboard_public: bool = Field(
        default=True, description="Visitors who do not sign in see the public view."
    )
    baseline_weeks: int = Field(
        default=8,
        ge=1,
        le=52,
        description="Weeks a window is compared with for 'above normal': the same hours in "
        "each of the previous N weeks.",
    )
    history_weeks: int | None = Field(
        default=None,
        ge=1,
        le=52,
        description="Weeks of those the feeds must have covered before an area gets a "
        "verdict (unset: all of the baseline weeks); with fewer, 'not enough history: k of n "
        "weeks'.",
    )
    map_style: str = Field(
        default="",
        pattern=r"^(https?://\S+)?$",
        description="Background map: the http(s) URL of a Mapbox GL style (style.json, e.g. "
        "of an internal tile server). Empty: no background, only our own boundaries "
        "(the network may be closed).",
    )
    audit_log: Path | None = Field(
        default=None, description="Dashboard audit log (default <state_dir>/audit.jsonl)."
    )
    log_archive: Path | None = Field(
        default=None,
        description="Folder of the local log archive (`safer up` on the embedded broker uses "
        "<state_dir>/log and sets this for its components): file imports wait until it holds "
        "what they published before their ledger records it. Unset: no archive (Apache Kafka "
        "keeps the log).",
    )
    archive_wait_s: float = Field(
        default=30.0, gt=0, description="Longest wait of a file import for the log archive."
    )
    broker_roll_mb: float = Field(
        default=256.0,
        ge=0,
        description="Roll the embedded broker onto a fresh one holding only each partition's "
        "tail when its memory passes this many MB (0: never).",
    )
    broker_keep_records: int = Field(
        default=2000,
        ge=1,
        description="Records per partition a rolled embedded broker keeps (the rest stay in "
        "the log archive).",
    )
    signin_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs dashboard session tokens. Unset: generated once into "
        "<state_dir>/signin-secret (mode 0600).",
    )
    signin_idle_expiry_s: float = Field(
        default=12 * 3600.0, gt=0, description="A dashboard sign-in ends after this long idle."
    )
    signin_absolute_expiry_s: float = Field(
        default=7 * 86_400.0, gt=0, description="A dashboard sign-in ends this long after it began."
    )
    signin_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins in a row that lock an account out."
    )
    signin_lockout_s: float = Field(
        default=900.0, gt=0, description="How long a locked-out account is refused."
    )
    worker_web_port: int = Field(
        default=6066, ge=0, description="Worker's web port (0: a free port)."
    )
    shutdown_grace_s: float = Field(
        default=15.0, gt=0, description="Grace before a component that ignores SIGTERM is killed."
    )
    partnership: Path | None = Field(
        default=None,
        description="Partnership file (TOML: boundary, lookup and population files; see "
        "`safer areas`). Default: Wirral.",
    )
    grace_hours: dict[str, float] = Field(
        default_factory=lambda: {"police": 24.0 * 62, "council": 48.0, "fire": 24.0},
        description="Per source, how long after an event its figures stay provisional (JSON).",
    )
    earliest_event: date = Field(
        default=date(1990, 1, 1),
        description="Earliest plausible time in an event (occurred, reported, received, "
        "published); anything before is dead-lettered as out-of-range.",
    )
    future_skew_s: float = Field(
        default=900.0,
        ge=0,
        le=86_400,
        description="How far past the worker's clock an event's time may be (partners' "
        "clocks drift); anything later is dead-lettered as out-of-range.",
    )
    max_interval_days: int = Field(
        default=400,
        ge=1,
        le=3660,
        description="Longest occurrence interval accepted (a police.uk month is 31 days).",
    )
    hourly_retention_days: int = Field(
        default=400, ge=1, description="Keep hourly buckets this long."
    )
    daily_retention_days: int = Field(
        default=1830, ge=1, description="Keep daily buckets this long."
    )
    record_state_ttl_days: int = Field(
        default=1830, ge=1, description="Keep each record's last contribution (for corrections)."
    )
    crosses: tuple[str, ...] = Field(
        default=("youth+loctype",),
        description="Extra dimension crosses with category, e.g. youth+loctype (JSON list).",
    )
    pseudonym_key: SecretStr = Field(
        default=SecretStr("local-development-only"),
        description="Key of the keyed hash that pseudonymises references at the adapters.",
    )
    log_level: str = Field(default="INFO", description="Log level of safer's own loggers.")
    alert_interval_s: float = Field(
        default=5.0, gt=0, description="How often the worker evaluates spike alerts."
    )
    alert_weeks: int = Field(
        default=8, ge=1, le=52, description="Trailing weeks of an alert's expected count."
    )
    alert_fdr: float = Field(
        default=0.05, gt=0, lt=1, description="False-discovery level of spike alerts (BH)."
    )
    alert_min_observed: int = Field(
        default=4, ge=1, description="Fewest incidents in a window that can raise an alert."
    )
    alert_resolve_p: float = Field(
        default=0.05, gt=0, lt=1, description="An alert resolves once its p stays above this."
    )
    alert_resolve_after_s: float = Field(
        default=1800.0, ge=0, description="... for this long (against flapping)."
    )
    alert_groups: str | None = Field(
        default=None,
        description="Alert groups as JSON (alerts.groups); default: youth ASB, deliberate fires, "
        "burglary, violence, all incidents.",
    )
    alert_rules: str | None = Field(
        default=None,
        description="Near-repeat and cross-agency rules as JSON (alerts.rules); default: "
        "burglary 200 m / 14 days, ASB then deliberate fire 250 m / 72 h, criminal damage "
        "then ASB 250 m / 72 h; [] for none.",
    )

    @model_validator(mode="after")
    def _history_within_baseline(self) -> Settings:
        if self.history_weeks is not None and self.history_weeks > self.baseline_weeks:
            raise ValueError(
                f"history_weeks ({self.history_weeks}) cannot exceed baseline_weeks "
                f"({self.baseline_weeks}): a verdict cannot need more weeks than it compares"
            )
        return self

    @property
    def verdict_weeks(self) -> int:
        """Weeks of covered history an area needs for a verdict (SAFER_HISTORY_WEEKS, else
        every baseline week)."""
        return self.history_weeks or self.baseline_weeks

    @property
    def archive_dir(self) -> Path:
        """Where the embedded stack archives its log (``log_archive`` or <state_dir>/log)."""
        return self.log_archive or self.state_dir / "log"

    @property
    def stack_file(self) -> Path:
        return self.state_dir / STACK_FILE_NAME

    @property
    def accounts_path(self) -> Path:
        return self.dashboard_accounts or self.state_dir / "dashboard-accounts.json"

    @property
    def agreements_path(self) -> Path:
        return self.agreements or self.state_dir / "agreements"

    @property
    def subscribers_path(self) -> Path:
        """Subscribers' API keys (hashed): ``sharing.registry``."""
        return self.state_dir / "subscribers.json"

    @property
    def audit_path(self) -> Path:
        return self.audit_log or self.state_dir / "audit.jsonl"

    def signin_key(self) -> SecretStr:
        """The key that signs session tokens: the setting, else the generated one."""
        if self.signin_secret is not None:
            return self.signin_secret
        from safer.keyfile import generated_secret

        return generated_secret(self.state_dir / SIGNIN_KEY_FILE)

    def require_kafka(self) -> str:
        if not self.kafka_bootstrap:
            from safer.errors import ConfigError

            raise ConfigError(
                "no Kafka configured: set SAFER_KAFKA_BOOTSTRAP or start the stack with `safer up`"
            )
        return self.kafka_bootstrap

    def require_redis(self) -> str:
        if not self.redis_url:
            from safer.errors import ConfigError

            raise ConfigError(
                "no Redis configured: set SAFER_REDIS_URL or start the local stack with `safer up`"
            )
        return self.redis_url


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, completed from a running local stack's state file."""
    settings = Settings(**overrides)
    stack = read_stack_file(settings.stack_file)
    missing = {
        key: stack[key]
        for key in ("kafka_bootstrap", "redis_url", "log_archive")
        if getattr(settings, key) is None and stack.get(key)
    }
    if "log_archive" in missing:
        missing["log_archive"] = Path(missing["log_archive"])
    if missing:
        return settings.model_copy(update=missing)
    return settings


def read_stack_file(path: Path) -> dict[str, Any]:
    """The running local stack's description, or {} when none is running."""
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or not _alive(data.get("pid")):
        return {}
    return data


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def child_env(settings: Settings) -> dict[str, str]:
    """Environment for a child process: this one's, with these settings as SAFER_* values."""
    env = dict(os.environ)
    values = settings.model_dump(mode="json")
    for name in values:  # secrets dump masked: pass their values on
        secret = getattr(settings, name)
        if isinstance(secret, SecretStr):
            values[name] = secret.get_secret_value()
    for name, value in values.items():
        if value is None:
            env.pop(f"SAFER_{name.upper()}", None)
        else:
            plain = value if isinstance(value, str) else json.dumps(value)
            env[f"SAFER_{name.upper()}"] = plain
    return env
