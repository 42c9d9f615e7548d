"""Official province and district codes (DOPA, via ``geothai``) for the names sources write.

A name is matched in three steps, each tried only if the one before found nothing: the exact
official name; the name after the clean-up people's spelling needs (prefixes อำเภอ, อ., กิ่งอำเภอ,
เขต, จังหวัด, จ., spaces and dots; "เมือง" for the capital district); then a fuzzy match *within
the given province only*, which repairs OCR damage such as "เขียงทอง" for เชียงของ. A fuzzy match
must be clearly better than the runner-up; otherwise, or if nothing fits, the error names the
value, the province and the closest candidates. Nothing is dropped silently.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import geothai
import pandas as pd

from otop_sync.errors import OtopSyncError

MatchMethod = Literal["exact", "prefix", "fuzzy"]

FUZZY_MIN_SCORE = 0.7
"""Lowest similarity (0–1) a fuzzy match may have."""
FUZZY_MIN_MARGIN = 0.1
"""How much better than the runner-up a fuzzy match must be to be trusted."""


class PlaceMatchError(OtopSyncError, ValueError):
    """A province or district name that fits no official place (or fits two equally)."""

    def __init__(self, name: object, scope: str, candidates: list[str], reason: str) -> None:
        self.name = name
        self.scope = scope
        self.candidates = candidates
        closest = f"; closest: {', '.join(candidates)}" if candidates else ""
        super().__init__(f"{name!r} {reason} {scope}{closest}")


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """The official place a name was matched to, and how sure the match is."""

    code: str
    name_th: str
    name_en: str
    method: MatchMethod
    score: float


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _key(text: str) -> str:
    return geothai.normalize(_nfc(text))


@cache
def _province_index() -> tuple[geothai.Province, ...]:
    return tuple(geothai.provinces())


def province_codes() -> list[str]:
    """Every province code, sorted."""
    return [p.code for p in _province_index()]


def province(code: str) -> geothai.Province:
    """The province with this code; an unknown code is an error naming it."""
    found = geothai.province(code)
    if found is None:
        raise PlaceMatchError(code, "among the 77 provinces", [], "is not a province code")
    return found


def districts_of(province_code: str) -> list[geothai.District]:
    """The official districts of a province, in code order."""
    province(province_code)
    return geothai.districts(province_code)


def with_district_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each row's district name in Thai (``district_name_th``, from its
    ``district_code``; empty for a code geothai does not know)."""
    names = {
        d.code: d.name_th
        for code in {str(district)[:2] for district in frame["district_code"]}
        if code in province_codes()
        for d in districts_of(code)
    }
    return frame.assign(district_name_th=frame["district_code"].map(names))


def district_table() -> pd.DataFrame:
    """All 928 districts: district_code, province_code, name_th, name_en."""
    rows = [
        (d.code, d.province_code, d.name_th, d.name_en)
        for p in _province_index()
        for d in geothai.districts(p.code)
    ]
    return pd.DataFrame(rows, columns=["district_code", "province_code", "name_th", "name_en"])


def _fuzzy(name: object, query: str, places: list[tuple[str, str, str]], scope: str) -> PlaceMatch:
    key = _key(query)
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, key, _key(name_th)).ratio(), code, name_th, name_en)
            for code, name_th, name_en in places
        ),
        reverse=True,
    )
    closest = [f"{n} ({c})" for s, c, n, _ in scored[:3] if s > 0]
    if not scored or scored[0][0] < FUZZY_MIN_SCORE:
        raise PlaceMatchError(name, scope, closest, "matches no place in")
    best, runner_up = scored[0], scored[1] if len(scored) > 1 else (0.0, "", "", "")
    if best[0] - runner_up[0] < FUZZY_MIN_MARGIN:
        raise PlaceMatchError(name, scope, closest, "is ambiguous between places in")
    score, code, name_th, name_en = best
    return PlaceMatch(code, name_th, name_en, "fuzzy", round(score, 3))


def _match(
    name: object,
    places: list[tuple[str, str, str]],
    scope: str,
    is_alias: Callable[[str, str], bool],
) -> PlaceMatch:
    if not isinstance(name, str) or not _nfc(name):
        raise PlaceMatchError(name, scope, [], "is not a name in")
    query = _nfc(name)
    for code, name_th, name_en in places:
        if query == name_th:
            return PlaceMatch(code, name_th, name_en, "exact", 1.0)
    key = _key(query)
    for code, name_th, name_en in places:
        if key in (_key(name_th), _key(name_en)) or is_alias(code, key):
            return PlaceMatch(code, name_th, name_en, "prefix", 1.0)
    return _fuzzy(name, query, places, scope)


def match_province(name: object) -> PlaceMatch:
    """The province a written name (Thai or English, with or without จังหวัด/จ.) refers to."""
    places = [(p.code, p.name_th, p.name_en) for p in _province_index()]
    by_code = {p.code: p for p in _province_index()}
    return _match(
        name,
        places,
        "Thailand",
        lambda code, key: geothai.is_province(by_code[code], key),
    )


@cache
def _district_places(province_code: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((d.code, d.name_th, d.name_en) for d in districts_of(province_code))


def match_district(name: object, province_code: str) -> PlaceMatch:
    """The district of ``province_code`` a written name refers to (see module docstring)."""
    if not isinstance(name, str):
        prov = province(province_code)
        raise PlaceMatchError(
            name, f"province {prov.name_th} ({prov.code})", [], "is not a name in"
        )
    return _match_district(name, province_code)


@cache
def _match_district(name: str, province_code: str) -> PlaceMatch:
    prov = province(province_code)
    by_code = {d.code: d for d in geothai.districts(province_code)}
    return _match(
        name,
        list(_district_places(province_code)),
        f"province {prov.name_th} ({prov.code})",
        lambda code, key: geothai.is_district(by_code[code], key),
    )
