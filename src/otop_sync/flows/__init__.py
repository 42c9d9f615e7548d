"""Prefect flows, the command line and settings: the layer that wires the others together."""
