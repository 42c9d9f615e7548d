"""Applying the suites: each dataset's rows split into clean and quarantined, every outcome kept,
and one typed error when a critical expectation fails.

Rows read = rows loaded + rows quarantined, for every dataset: checked here, every time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.expectations.context import gx
from otop_sync.expectations.offline_docs import serve_offline
from otop_sync.expectations.severity import Severities
from otop_sync.expectations.suites import suite_columns, validation_frame
from otop_sync.transforms.rows import FIRST_DATA_LINE, SOURCE_LINE, RowIssue

RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
}
EXAMPLES = 5


@dataclass(frozen=True)
class Outcome:
    """One expectation's result for one dataset in one run."""

    dataset: str
    check_id: str
    suite: str
    level: str
    severity: str
    success: bool
    unexpected_count: int
    description: str
    examples: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """The ``validation_result`` row of this outcome (without the run id)."""
        return {
            "dataset": self.dataset,
            "suite": self.suite,
            "expectation": self.check_id,
            "severity": self.severity,
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "details": {"description": self.description, "examples": list(self.examples)},
        }


@dataclass
class DatasetValidation:
    """A dataset after validation: what goes on, what is set aside, and why."""

    dataset: str
    rows_read: int
    clean: pd.DataFrame
    quarantine: pd.DataFrame
    """Columns: line, raw_row (the source row as text), reasons (every reason, joined)."""
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        """Rows that go on to the warehouse."""
        return len(self.clean)

    @property
    def rows_quarantined(self) -> int:
        """Rows set aside."""
        return len(self.quarantine)

    @property
    def critical_failures(self) -> list[Outcome]:
        """Failed expectations whose severity stops the run."""
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]


class InvariantError(OtopSyncError):
    """Rows were lost or counted twice between reading and loading (a bug, never data)."""


class CriticalExpectationError(OtopSyncError):
    """A critical expectation failed: grades must not be published from this data."""

    def __init__(self, failures: list[Outcome]) -> None:
        self.failures = failures
        parts = []
        for failure in failures:
            examples = f"; e.g. {', '.join(failure.examples)}" if failure.examples else ""
            parts.append(
                f"{failure.dataset}: {failure.check_id} failed ({failure.description}; "
                f"{failure.unexpected_count} unexpected{examples})"
            )
        super().__init__("critical expectations failed: " + " | ".join(parts))


def raise_if_critical(validations: list[DatasetValidation]) -> None:
    """Stop the run if any dataset failed a critical expectation."""
    failures = [f for v in validations for f in v.critical_failures]
    if failures:
        raise CriticalExpectationError(failures)


class Validator:
    """Runs suites in one GX context and keeps their results for Data Docs."""

    def __init__(self, context: Any, severities: Severities, run_name: str) -> None:
        self.context = context
        self.severities = severities
        self.run_name = run_name
        self.run_time = datetime.now(UTC)
        self._source = context.data_sources.add_or_update_pandas(name="otop_sync")
        self._keys: list[Any] = []

    def _validate(self, frame: pd.DataFrame, suite: gx.ExpectationSuite) -> Any:
        asset_name = f"{suite.name}_{len(self._keys)}"
        batch = (
            self._source.add_dataframe_asset(name=asset_name)
            .add_batch_definition_whole_dataframe(name="whole")
            .get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)})
        )
        result = batch.validate(suite, result_format=RESULT_FORMAT)
        # GX keeps every batch's frame as long as its engine lives (the whole step); each is
        # validated once, so let it go: a national sales frame is hundreds of MB.
        batch.data.execution_engine.batch_manager.batch_data_cache.pop(batch.id, None)
        self._store(result, suite)
        return result

    def _store(self, result: Any, suite: gx.ExpectationSuite) -> None:
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        run_id = RunIdentifier(run_name=self.run_name, run_time=self.run_time)
        result.meta["run_id"] = run_id
        result.meta["validation_time"] = self.run_time
        suite_key = ExpectationSuiteIdentifier(name=suite.name)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=suite_key, run_id=run_id, batch_identifier=result.batch_id
        )
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=key,
            expectation_suite_identifier=suite_key,
        )
        self._keys.append(key)

    def build_docs(self) -> Path | None:
        """Write the run's Data Docs, served from the package's own copies of the styles and
        scripts (they render with no internet); the path of the index page, if a site is
        configured."""
        sites = self.context.build_data_docs(resource_identifiers=self._keys)
        if not sites:
            return None
        url = next(iter(sites.values()))
        index = Path(url.removeprefix("file://"))
        serve_offline(index.parent)
        return index

    def check_dataset(
        self,
        dataset: str,
        frame: pd.DataFrame,
        suite: gx.ExpectationSuite,
        examples: tuple[str, ...] = (),
    ) -> list[Outcome]:
        """Run a suite of dataset-level checks on a derived table; ``examples`` (such as the
        missing keys) are attached to the outcomes that fail."""
        outcomes = []
        for result in self._validate(frame, suite).results:
            meta = result.expectation_config.meta
            found = examples
            indices = (result.result or {}).get("unexpected_index_list") or []
            if not found and indices and "key" in frame.columns:
                found = tuple(str(frame["key"].iat[i]) for i in indices[:EXAMPLES])
            outcomes.append(self._outcome(dataset, suite.name, meta, result, found))
        return outcomes

    def _outcome(
        self, dataset: str, suite: str, meta: dict, result: Any, examples: tuple[str, ...] = ()
    ) -> Outcome:
        details = result.result or {}
        failed = not result.success or _raised(result)
        count = details.get("unexpected_count") or (len(examples) or 1 if failed else 0)
        return Outcome(
            dataset=dataset,
            check_id=meta["id"],
            suite=suite,
            level=meta["level"],
            severity=self.severities.of(meta["id"], meta["level"], meta.get("severity")),
            success=not failed,
            unexpected_count=int(count),
            description=meta["description"],
            examples=examples[:EXAMPLES] if failed else (),
        )

    def validate_rows(
        self,
        dataset: str,
        raw: pd.DataFrame,
        typed: pd.DataFrame,
        issues: list[RowIssue],
        suite: gx.ExpectationSuite,
    ) -> DatasetValidation:
        """Validate a dataset's typed rows: unreadable rows and rows failing a row-level
        expectation are quarantined (or stop the run, or warn, as their severity says)."""
        reasons: dict[int, list[str]] = defaultdict(list)
        for issue in issues:
            reasons[issue.line].append(str(issue))
        readable_id = f"{dataset}.cells_readable"
        readable = Outcome(
            dataset=dataset,
            check_id=readable_id,
            suite=suite.name,
            level="row",
            severity=self.severities.of(readable_id, "row"),
            success=not issues,
            unexpected_count=len({i.line for i in issues}),
            description="every cell reads as its type (dates BE d/m/yyyy, months, baht)",
            examples=tuple(str(i) for i in issues[:EXAMPLES]),
        )
        outcomes = [readable]
        if readable.severity != "quarantine":
            reasons.clear()
        typed = typed.reset_index(drop=True)
        frame = validation_frame(typed, suite_columns(suite))
        for result in self._validate(frame, suite).results:
            meta = result.expectation_config.meta
            outcome = self._outcome(dataset, suite.name, meta, result)
            indices = (result.result or {}).get("unexpected_index_list") or []
            lines = [int(typed["line"].iat[i]) for i in indices]
            column = meta.get("column")
            if outcome.severity == "warning" and column and indices:
                outcome = _with_values(outcome, typed[column].iloc[indices], lines)
            else:
                outcome = _with_examples(outcome, lines)
            outcomes.append(outcome)
            if meta["level"] == "row" and outcome.severity == "quarantine":
                for line in lines:
                    reasons[line].append(f"{meta['id']}: {meta['description']}")
        set_aside = sorted(reasons)
        quarantine = pd.DataFrame(
            {
                "line": set_aside,
                "raw_row": [_raw_row(raw, line) for line in set_aside],
                "reasons": ["; ".join(reasons[line]) for line in set_aside],
            }
        )
        clean = typed[~typed["line"].isin(set_aside)].reset_index(drop=True) if set_aside else typed
        validation = DatasetValidation(dataset, len(raw), clean, quarantine, outcomes)
        if validation.rows_read != validation.rows_loaded + validation.rows_quarantined:
            raise InvariantError(
                f"{dataset}: {validation.rows_read} rows read but {validation.rows_loaded} "
                f"loaded and {validation.rows_quarantined} quarantined"
            )
        return validation


def _raised(result: Any) -> bool:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _with_examples(outcome: Outcome, lines: list[int]) -> Outcome:
    if not lines:
        return outcome
    examples = tuple(f"line {line}" for line in lines[:EXAMPLES])
    return Outcome(**{**outcome.__dict__, "examples": examples})


def _with_values(outcome: Outcome, values: pd.Series, lines: list[int]) -> Outcome:
    """Examples of a warning that loads its rows: each distinct value, how many rows and the
    first line (what an officer maps to a known value, or adds to the list)."""
    first_line: dict[object, int] = {}
    for value, line in zip(values, lines, strict=True):
        first_line.setdefault(value, line)
    counts = values.value_counts(sort=True)
    examples = tuple(
        f"{value!s} ({count} row{'s' if count > 1 else ''}, line {first_line[value]})"
        for value, count in counts.items()
    )
    return Outcome(**{**outcome.__dict__, "examples": examples[:EXAMPLES]})


def _raw_row(raw: pd.DataFrame, line: int) -> dict[str, str]:
    """The raw text of the row at a source line (the raw table's index when it is the line)."""
    row = raw.loc[line] if raw.index.name == SOURCE_LINE else raw.iloc[line - FIRST_DATA_LINE]
    return {k: str(v) for k, v in row.items()}
