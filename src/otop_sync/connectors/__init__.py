"""IO with the CDD systems and export files: raw tables in, raw payloads kept."""
