import pandas as pd
import pytest

from otop_sync.transforms.districts import (
    PlaceMatchError,
    district_table,
    districts_of,
    match_district,
    match_province,
)


def test_geothai_has_every_district():
    table = district_table()
    assert len(table) == 928
    assert table["province_code"].nunique() == 77
    assert len(districts_of("57")) == 18


@pytest.mark.parametrize(
    ("name", "code", "method"),
    [
        ("เวียงชัย", "5702", "exact"),
        ("อำเภอเวียงชัย", "5702", "prefix"),
        ("อ.เวียงชัย", "5702", "prefix"),
        ("อ. เวียงชัย", "5702", "prefix"),
        ("กิ่งอำเภอดอยหลวง", "5718", "prefix"),
        (" เวียง ชัย ", "5702", "prefix"),
        ("Wiang Chai", "5702", "prefix"),
        ("อ.เมือง", "5701", "prefix"),
        ("ขุนตาน", "5714", "fuzzy"),
    ],
)
def test_match_district(name, code, method):
    match = match_district(name, "57")
    assert (match.code, match.method) == (code, method)


@pytest.mark.parametrize(
    ("seed_name", "code", "official"),
    [
        ("เมืองเขียงราย", "5701", "เมืองเชียงราย"),
        ("เขียงทอง", "5703", "เชียงของ"),
        ("เขียงแสน", "5708", "เชียงแสน"),
        ("เวียงเชียงรุ้ง", "5717", "เวียงเชียงรุ้ง"),
    ],
)
def test_ocr_damaged_seed_names_resolve(seed_name, code, official):
    match = match_district(seed_name, "57")
    assert (match.code, match.name_th) == (code, official)


def test_bangkok_khet_by_name_without_prefix():
    assert match_district("พระนคร", "10").code == "1001"
    assert match_district("เขตพระนคร", "10").method == "exact"


def test_fuzzy_match_stays_inside_the_province():
    # เชียงคำ is a district of Phayao (5603), not of Chiang Rai.
    with pytest.raises(PlaceMatchError) as caught:
        match_district("เชียงคำ", "57")
    assert str(caught.value) == (
        "'เชียงคำ' matches no place in province เชียงราย (57); "
        "closest: เชียงแสน (5708), เชียงของ (5703), เวียงชัย (5702)"
    )
    assert match_district("เชียงคำ", "56").code == "5603"


def test_fuzzy_match_refuses_to_pick_between_close_names():
    with pytest.raises(PlaceMatchError) as caught:
        match_district("แม่ส", "57")
    assert str(caught.value) == (
        "'แม่ส' is ambiguous between places in province เชียงราย (57); "
        "closest: แม่สาย (5709), แม่สรวย (5710), แม่ลาว (5716)"
    )


def test_unknown_district_names_the_province_and_candidates():
    with pytest.raises(PlaceMatchError) as caught:
        match_district("บางรัก", "57")
    assert str(caught.value).startswith(
        "'บางรัก' matches no place in province เชียงราย (57); closest: "
    )
    assert caught.value.candidates


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "'' is not a name in province เชียงราย (57)"),
        (None, "None is not a name in province เชียงราย (57)"),
        ("   ", "'   ' is not a name in province เชียงราย (57)"),
    ],
)
def test_blank_district_names(name, message):
    with pytest.raises(PlaceMatchError) as caught:
        match_district(name, "57")
    assert str(caught.value) == message


def test_unknown_province_code():
    with pytest.raises(
        PlaceMatchError, match=r"^'99' is not a province code among the 77 provinces$"
    ):
        match_district("เวียงชัย", "99")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("เชียงราย", "57"),
        ("จังหวัดเชียงราย", "57"),
        ("จ.เชียงราย", "57"),
        ("Chiang Rai", "57"),
        ("กทม", "10"),
        ("เขียงราย", "57"),
    ],
)
def test_match_province(name, code):
    assert match_province(name).code == code


def test_unknown_province():
    with pytest.raises(PlaceMatchError) as caught:
        match_province("แอตแลนติส")
    assert str(caught.value).startswith("'แอตแลนติส' matches no place in Thailand")


def test_rows_get_their_district_names_and_an_unknown_code_none():
    from otop_sync.transforms.districts import with_district_names

    frame = pd.DataFrame({"district_code": ["5701", "1001", "9999"], "n": [1, 2, 3]})
    named = with_district_names(frame)
    assert list(named["district_name_th"][:2]) == ["เมืองเชียงราย", "เขตพระนคร"]
    assert pd.isna(named["district_name_th"].iloc[2])
    assert list(named["n"]) == [1, 2, 3]
    empty = with_district_names(pd.DataFrame({"district_code": []}, dtype=object))
    assert list(empty.columns) == ["district_code", "district_name_th"]
