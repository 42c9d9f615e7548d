import pytest

from otop_sync.mocks.faults import Fault, FaultBoard, FaultSpecError, parse_faults


def test_spec_grammar():
    assert parse_faults(
        "503@sales*2; 429=3@products ;slow=0.5;rename_column=ยอดจำหน่าย (บาท)>ยอดขาย@sales"
    ) == [
        Fault("503", None, "sales", 2),
        Fault("429", "3", "products", None),
        Fault("slow", "0.5", "*", None),
        Fault("rename_column", "ยอดจำหน่าย (บาท)>ยอดขาย", "sales", None),
    ]
    assert parse_faults("") == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "404@sales",
            "not a fault: '404@sales' (kinds: 429, 500, 502, 503, correction, drop_column, expire_session, rename_column, repeat_page, skip_page, slow, summary_drift, truncate)",
        ),
        (
            "repeat_page@products",
            "'repeat_page@products': repeat_page needs a page number, e.g. repeat_page=3",
        ),
        ("rename_column=เดือน@sales", "'rename_column=เดือน@sales': rename_column needs OLD>NEW"),
        ("slow=soon", "'slow=soon': slow needs seconds"),
        ("429=0.5", "'429=0.5': 429 needs whole seconds (Retry-After)"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(FaultSpecError) as caught:
        parse_faults(spec)
    assert str(caught.value) == message


def test_counted_faults_are_spent_and_others_stay():
    board = FaultBoard(parse_faults("503@sales*2;slow=1"))
    sales = frozenset({"otop", "sales"})
    assert [f.kind for f in board.take({"503"}, sales)] == ["503"]
    assert board.take({"503"}, frozenset({"bigdata", "products"})) == []
    assert [f.kind for f in board.take({"503"}, sales)] == ["503"]
    assert board.take({"503"}, sales) == []
    assert [f.kind for f in board.take({"slow"}, sales)] == ["slow"]
    assert [f.kind for f in board.active()] == ["slow"]
