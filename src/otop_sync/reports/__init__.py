"""Rendering warehouse and transform results for people: CSV, terminal tables, spreadsheets."""
