"""The mock CDD systems: a real HTTP server with synthetic, deterministic data."""
