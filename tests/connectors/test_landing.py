"""The landing store's manifest: the latest payload of each request, whoever landed it, read
line by line once (a run asks for it hundreds of times; the manifest grows every night)."""

from __future__ import annotations

import json

from otop_sync.connectors import landing as landing_module
from otop_sync.connectors.landing import RawLandingStore


def _land(store: RawLandingStore, data: bytes, request_key: str) -> str:
    landed = store.put_bytes(
        data, source="otop", location="http://127.0.0.1/x", request_key=request_key, suffix=".csv"
    )
    return landed.raw.sha256


def test_the_latest_payload_of_a_request_is_seen_by_every_store_on_the_folder(tmp_path):
    ours, theirs = RawLandingStore(tmp_path / "raw"), RawLandingStore(tmp_path / "raw")
    assert ours.last_for("otop:/sales?") is None
    first = _land(theirs, b"a,b\n1,2\n", "otop:/sales?")
    _land(theirs, b"x\n", "otop:/products?")
    assert ours.last_for("otop:/sales?").sha256 == first
    second = _land(theirs, b"a,b\n1,3\n", "otop:/sales?")
    assert ours.last_for("otop:/sales?").sha256 == second
    assert ours.last_for("otop:/shops?") is None


def test_a_line_still_being_written_is_read_once_it_is_whole(tmp_path):
    store = RawLandingStore(tmp_path / "raw")
    sha = _land(store, b"a\n", "otop:/sales?")
    whole = json.dumps({**json.loads(store.manifest.read_text()), "request_key": "otop:/shops?"})
    with store.manifest.open("a") as handle:
        handle.write(whole[:20])
    assert store.last_for("otop:/shops?") is None
    assert store.last_for("otop:/sales?").sha256 == sha
    with store.manifest.open("a") as handle:
        handle.write(whole[20:] + "\n")
    assert store.last_for("otop:/shops?").sha256 == sha


def test_each_manifest_line_is_parsed_once_however_many_requests_ask(tmp_path, monkeypatch):
    store = RawLandingStore(tmp_path / "raw")
    for i in range(30):
        _land(store, f"row {i}\n".encode(), f"otop:/sales?province={i}")
    parsed = []
    real_loads = json.loads
    monkeypatch.setattr(
        landing_module.json, "loads", lambda line: parsed.append(line) or real_loads(line)
    )
    for i in range(30):
        assert store.last_for(f"otop:/sales?province={i}") is not None
    assert len(parsed) == 30
