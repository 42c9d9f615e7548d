import pytest

from otop_sync.expectations.severity import SeverityConfigError, load_severities


def test_bundled_severities():
    severities = load_severities()
    assert severities.of("sales.amount_not_negative", "row") == "quarantine"
    assert severities.of("sales.months_complete", "dataset") == "critical"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[levels]\nrow = "quarantine"\n', "[levels] must set row and dataset"),
        (
            '[levels]\nrow = "quarantine"\ndataset = "panic"\n',
            "dataset = 'panic'; use one of critical, quarantine, warning",
        ),
        (
            '[levels]\nrow = "quarantine"\ndataset = "quarantine"\n',
            "a dataset-level failure has no rows to quarantine",
        ),
    ],
)
def test_bad_severity_files(tmp_path, toml, message):
    path = tmp_path / "severity.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(SeverityConfigError) as caught:
        load_severities(path)
    assert str(caught.value) == f"{path}: {message}"
