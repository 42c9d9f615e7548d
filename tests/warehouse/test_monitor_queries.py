"""What the deadline monitor reads, on both engines."""

from datetime import date, datetime

from sqlalchemy import text

from otop_sync.warehouse import queries

MAY, JUNE = date(2024, 5, 1), date(2024, 6, 1)
RUN = {"raw_sha256": "0" * 64, "run_id": "r"}


def test_first_recordings_include_values_replaced_by_corrections(engine):
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO monthly_sales (district_code, producer_code, month, province_code,"
                " amount, recorded_on, raw_sha256, run_id) VALUES"
                " (:d, :p, :m, :province, 1, :r, :raw_sha256, :run_id)"
            ),
            [
                {"d": "5701", "p": "P1", "m": MAY, "r": date(2024, 6, 25), "province": "57", **RUN},
                {"d": "5701", "p": "P2", "m": MAY, "r": date(2024, 6, 20), "province": "57", **RUN},
                {"d": "5702", "p": "", "m": JUNE, "r": date(2024, 7, 30), "province": "57", **RUN},
                {"d": "5001", "p": "", "m": JUNE, "r": date(2024, 7, 1), "province": "50", **RUN},
            ],
        )
        connection.execute(
            text(
                "INSERT INTO monthly_sales_history (district_code, producer_code, month, amount,"
                " recorded_on, raw_sha256, run_id, replaced_by_run) VALUES"
                " ('5701', 'P1', :m, 2, :r, :raw_sha256, :run_id, 's')"
            ),
            {"m": MAY, "r": date(2024, 6, 10), **RUN},
        )
        first = queries.first_sales_recordings(connection, ["57"], [MAY, JUNE])
    assert sorted(first.itertuples(index=False, name=None)) == [
        ("5701", MAY, date(2024, 6, 10)),
        ("5702", JUNE, date(2024, 7, 30)),
    ]


def test_form_responses_and_shop_registrations(engine):
    with engine.begin() as connection:
        assert not queries.form_responses_loaded(connection)
        connection.execute(
            text(
                "INSERT INTO shop_report_response (district_code, month, submitted_at,"
                " province_code, producers, centres, raw_sha256, run_id) VALUES"
                " (:d, :m, :s, '57', 3, 1, :raw_sha256, :run_id)"
            ),
            [
                {"d": "5701", "m": JUNE, "s": datetime(2024, 7, 16, 9, 30), **RUN},
                {"d": "5701", "m": MAY, "s": datetime(2024, 6, 10, 9, 30), **RUN},
            ],
        )
        connection.execute(
            text(
                "INSERT INTO shop_registration (shop_code, shop_name, shop_type, producer_code,"
                " province_code, district_code, registered_on, raw_sha256, run_id) VALUES"
                " ('S1', 'ร้าน', 'ผู้ผลิต ผู้ประกอบการ OTOP', 'P1', '57', '5701', :r,"
                " :raw_sha256, :run_id)"
            ),
            {"r": date(2024, 6, 3), **RUN},
        )
        assert queries.form_responses_loaded(connection)
        sent = queries.shop_report_responses(connection, ["57"], JUNE)
        shops = queries.shop_registrations(connection, ["57"])
    assert list(sent.itertuples(index=False, name=None)) == [
        ("5701", JUNE, datetime(2024, 7, 16, 9, 30), 3, 1)
    ]
    assert list(shops.itertuples(index=False, name=None)) == [
        ("S1", "5701", "P1", date(2024, 6, 3))
    ]
