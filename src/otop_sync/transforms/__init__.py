"""Pure functions on values and DataFrames: Thai text, places, the fiscal calendar, KPI rules."""
