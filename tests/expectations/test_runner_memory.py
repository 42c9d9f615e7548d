"""The validator lets each validated frame go once its suite has run: Great Expectations
would otherwise keep every batch's frame for the whole step (a national sales frame is
hundreds of MB)."""

from otop_sync.connectors.inbox import extract_file
from otop_sync.connectors.landing import RawLandingStore
from otop_sync.datasets import dataset as dataset_spec
from otop_sync.expectations.checks import validate_dataset
from otop_sync.expectations.context import gx_context
from otop_sync.expectations.runner import Validator
from otop_sync.expectations.severity import load_severities
from tests.expectations.test_corpus import CORPUS, PARAMS


def test_no_validated_frame_stays_in_the_engine(tmp_path):
    spec = dataset_spec("sales")
    extract = extract_file(CORPUS / "sales_clean.csv", spec, RawLandingStore(tmp_path / "raw"))
    typed, issues = spec.type_rows(extract.table)
    validator = Validator(gx_context(tmp_path / "site"), load_severities(), "run-1")
    validation = validate_dataset(validator, spec, extract.table, typed, issues, PARAMS)
    assert len({o.suite for o in validation.outcomes}) == 3  # rows, coverage, completeness
    engine = validator._source.get_execution_engine()
    assert engine.batch_manager.batch_data_cache == {}
