"""One settings object for the whole project (env prefix `NIANBAO_`, optional `nianbao.toml`).

The embedded defaults need nothing running: a SQLite file under ./var/ and a local-directory
object store under ./var/objects. Production points `database_url` at PostgreSQL and
`object_store` at an S3 bucket.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from storage.claims import DEFAULT_LEASE_SECONDS

DEFAULT_USER_AGENT = (
    "nianbao/0.1 (+https://github.com/nianbao/nianbao; government transparency research crawler)"
)


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one line naming the setting."""


class Settings(BaseSettings):
    """Connections, crawl politeness, schedules and alert targets."""

    model_config = SettingsConfigDict(
        env_prefix="NIANBAO_",
        toml_file="nianbao.toml",
        extra="ignore",
        validate_default=True,
    )

    home: Path = Field(default=Path("var"), description="Directory for the embedded defaults.")
    database_url: str = Field(default="", description="SQLAlchemy URL; default sqlite:///<home>/nianbao.db")
    object_store: str = Field(
        default="", description="s3://bucket[/prefix] or a directory; default <home>/objects"
    )
    s3_endpoint: str = Field(default="", description="host:port of the S3 API, e.g. 127.0.0.1:8333")
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    s3_secure: bool = Field(default=False, description="Use HTTPS for the S3 endpoint.")

    user_agent: str = DEFAULT_USER_AGENT
    crawl_concurrency_per_domain: int = Field(default=2, ge=1, le=8)
    crawl_download_delay: float = Field(default=1.0, ge=0)
    crawl_obey_robots: bool = True
    crawl_timeout: int = Field(default=30, ge=1)
    crawl_batch_size: int = Field(
        default=100, ge=1, description="Sources crawled by one Scrapy process (`crawler.run.crawl_batch`)."
    )
    crawl_batch_concurrency: int = Field(
        default=32, ge=1, description="Sources a batch process crawls at once (never two on one host)."
    )
    sources_dir: str = Field(
        default="", description="Directory of source YAML files; default: the shipped ones."
    )

    task_retries: int = Field(default=3, ge=0, description="Retries of I/O tasks (object store, database).")
    task_retry_delay: float = Field(default=2.0, ge=0, description="Base seconds of the exponential backoff.")
    max_ingest_attempts: int = Field(
        default=3, ge=1, description="Ingests of a failed document before giving up."
    )
    parse_isolated: bool = Field(
        default=True, description="Parse in a worker process under the memory and wall-clock limits."
    )
    parse_memory_mb: int = Field(
        default=2048, ge=0, description="Address space (RLIMIT_AS) of the parse worker in MB; 0: unlimited."
    )
    parse_seconds: float = Field(default=300.0, gt=0, description="Wall-clock limit of one parse.")
    claim_lease_seconds: float = Field(
        default=DEFAULT_LEASE_SECONDS,
        gt=0,
        description="Seconds another run leaves a document claimed by a live ingest alone (storage/claims.py).",
    )
    ingest_batch_size: int = Field(
        default=50,
        ge=1,
        description="Documents per `ingest batch` flow run (`ingest --pending`, the event path).",
    )
    event_batch_window: float = Field(
        default=0.05,
        ge=0,
        description="Seconds the event relay waits for more stored-document events before submitting a batch.",
    )
    task_worker_limit: int = Field(
        default=2, ge=1, description="Ingest task runs a task worker (`nianbao worker`) runs at once."
    )
    parse_workers: int = Field(
        default=0, ge=0, description="Parse worker processes of a batch ingest; 0: one per CPU core."
    )
    infra_failure_limit: int = Field(
        default=3, ge=1, description="Consecutive object-store/database failures that stop an ingest run."
    )

    crawl_cron: str = "0 3 * * *"
    ingest_pending_cron: str = "*/30 * * * *"
    timeliness_cron: str = "0 8 * * *"
    export_cron: str = Field(
        default="0 4 * * 1", description="When the open dataset is exported to exports/."
    )
    timezone: str = "Asia/Shanghai"

    alert_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="apprise URLs, comma separated in env."
    )
    public_base_url: str = Field(default="", description="Base URL operators use to open originals.")
    reviewer: str = Field(
        default="", description="Name recorded on finding reviews; default: the operating-system user."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("alert_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().startswith("["):
            import json

            return json.loads(value)
        if isinstance(value, str):
            return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                f"NIANBAO_DATABASE_URL must be sqlite:/// or postgresql+psycopg://, got {value!r}"
            )
        return value

    @field_validator("object_store")
    @classmethod
    def _check_object_store(cls, value: str) -> str:
        if value.startswith("s3://") and not urlsplit(value).netloc:
            raise ValueError(f"NIANBAO_OBJECT_STORE needs a bucket: s3://bucket, got {value!r}")
        if "://" in value and not value.startswith(("s3://", "file://")):
            raise ValueError(f"NIANBAO_OBJECT_STORE must be s3://bucket or a directory, got {value!r}")
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'nianbao.db').as_posix()}"

    @property
    def resolved_object_store(self) -> str:
        return self.object_store or str(self.home / "objects")


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into a one-line `SettingsError`."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {where}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return load_settings()
