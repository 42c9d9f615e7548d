"""Typed run requests: what to sync or grade, from where, as of when.

A request holds no setting and no secret: the warehouse URL, the CDD account and the rest are
read from the environment (:class:`~otop_sync.flows.settings.Settings`) inside the tasks that
need them. So a request can be a flow's parameters, stored by Prefect and shown in its UI.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from otop_sync.errors import OtopSyncError
from otop_sync.flows.settings import DEFAULT_PROVINCE, Settings, SourceKind
from otop_sync.transforms.districts import province_codes
from otop_sync.transforms.fiscal import Quarter
from otop_sync.transforms.thai import BE_OFFSET, MIN_BE_YEAR

BANGKOK = ZoneInfo("Asia/Bangkok")


def today_in_bangkok() -> date:
    """Today's date in Thailand (the schedules' time zone)."""
    return datetime.now(BANGKOK).date()


def be_year_hint(day: date) -> str:
    """Why a date with a Buddhist Era year is refused where a CE date is meant, and the fix."""
    ce = day.replace(year=day.year - BE_OFFSET) if day.year - BE_OFFSET >= 1 else day
    return f"{day.isoformat()} has a Buddhist Era year; dates here are CE: use {ce.isoformat()}"


class RunScope(BaseModel):
    """Which provinces, as of which day (``None`` for either means the default)."""

    model_config = ConfigDict(frozen=True)

    provinces: tuple[str, ...] = (DEFAULT_PROVINCE,)
    as_of: date = Field(default_factory=today_in_bangkok)

    @field_validator("provinces", mode="before")
    @classmethod
    def _default_provinces(cls, value: Any) -> Any:
        return value or (DEFAULT_PROVINCE,)

    @field_validator("provinces")
    @classmethod
    def _known_provinces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(province_codes()))
        if unknown:
            raise ValueError(f"not a province code: {', '.join(unknown)}")
        return value

    @field_validator("as_of", mode="before")
    @classmethod
    def _default_as_of(cls, value: Any) -> Any:
        return today_in_bangkok() if value is None else value

    @field_validator("as_of")
    @classmethod
    def _ce_date(cls, value: date) -> date:
        if value.year >= MIN_BE_YEAR:
            raise ValueError(be_year_hint(value))
        return value


class SyncRequest(RunScope):
    """A sync: the provinces, as of a day, from which source."""

    source: SourceKind | None = None
    """``None``: the ``OTOP_SOURCE`` setting (mock by default)."""
    mock_url: str | None = None
    """A running mock's URL, for source ``mock``."""
    inbox_dir: Path | None = None
    """The inbox folder, for source ``files``; ``None``: the ``OTOP_INBOX_DIR`` setting."""
    report_quarter: str | None = None
    """Write this quarter's report files for each province after the sync."""
    one_run: bool = False
    """One run (one request per dataset) for all the provinces, instead of one per province."""

    @field_validator("report_quarter")
    @classmethod
    def _readable_quarter(cls, value: str | None) -> str | None:
        return None if value is None else str(Quarter.parse(value))

    def settings(self) -> Settings:
        """The environment's settings, with where to read from as the request says."""
        chosen = {"source": self.source, "inbox_dir": self.inbox_dir}
        return Settings(**{name: value for name, value in chosen.items() if value is not None})

    def groups(self) -> list[tuple[str, ...]]:
        """The provinces of each run: one run per province, or one for all of them."""
        return [self.provinces] if self.one_run else [(code,) for code in self.provinces]

    def check_source(self) -> None:
        """Fail early when the request cannot reach its source."""
        if self.settings().source is SourceKind.mock and not self.mock_url:
            raise OtopSyncError(
                "source mock needs mock_url: start `otop-sync mock serve` and pass its URL"
            )


class GradeRequest(RunScope):
    """Grading quarters again from what the warehouse holds."""

    quarters: tuple[str, ...]

    @field_validator("quarters")
    @classmethod
    def _readable_quarters(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(Quarter.parse(text)) for text in value)

    def parsed_quarters(self) -> list[Quarter]:
        """The quarters, as quarters."""
        return [Quarter.parse(text) for text in self.quarters]
