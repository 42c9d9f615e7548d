"""Settings, read once from the environment (``OTOP_*``) by the entry point and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything otop-sync can be configured with; each field is an ``OTOP_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix="OTOP_", env_file=None, extra="ignore")

    warehouse_url: str = "sqlite:///otop.db"
    """SQLAlchemy URL of the warehouse (SQLite file by default, PostgreSQL in production)."""
    data_dir: Path = Path("otop-data")
    """Where raw payloads, Data Docs and reports are kept."""
    rules_file: Path | None = None
    """A KPI rules TOML to use instead of the bundled one."""
