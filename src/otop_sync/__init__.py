"""otop-sync: nightly OTOP data sync and KPI grading for the Community Development Department."""

__version__ = "0.1.0"
