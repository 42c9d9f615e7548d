"""Synthetic CDD data, deterministic from a seed: producers, products, monthly sales, Shop ชุมชน
registrations and the province's baseline sheet, for Chiang Rai or for all 77 provinces.

Each province draws from its own random stream (seed, province code), so Chiang Rai is the same
at province and at national scale. Tables hold compact codes (category numbers, day offsets,
satang as integers); :mod:`otop_sync.mocks.render` turns slices of them into export text.

The tables are generated through :data:`DATA_UNTIL` at once. A mock whose "today" is later goes
on month by month up to that day: every later month of a province draws from its own stream
(seed, province, month), so what lies up to :data:`DATA_UNTIL` is the same whatever the day,
and a month is the same whichever later day the mock is told is today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import geothai
import numpy as np
import pandas as pd

from otop_sync.errors import OtopSyncError
from otop_sync.mocks import chiangrai, names

Scale = Literal["province", "national"]

EPOCH = date(2021, 1, 1)
"""Day 0 of the day offsets stored in the tables."""
PRODUCTS_FROM = date(2021, 10, 1)  # FY2565 starts
SALES_FROM = date(2022, 10, 1)  # FY2566 starts
DATA_UNTIL = date(2025, 9, 30)  # FY2568 ends
SHOPS_FROM = date(2023, 9, 1)  # the Digital Wallet programme is announced
MONTHS_LIMIT = 128
"""Sales months the tables can hold (``month_idx`` is an int8): October 2022 to May 2033."""


def sales_month(index: int) -> date:
    """The first day of the sales month at a position counted from SALES_FROM."""
    months = SALES_FROM.month - 1 + index
    return date(SALES_FROM.year + months // 12, months % 12 + 1, 1)


SALES_MONTHS: tuple[date, ...] = tuple(sales_month(i) for i in range(36))
"""The months generated at once, FY2566 to FY2568; later ones continue month by month."""
DATA_LIMIT = sales_month(MONTHS_LIMIT) - timedelta(days=1)
"""The last day the mock can be told is today."""
SEASON: tuple[float, ...] = (1.0, 1.05, 1.3, 1.25, 1.0, 0.95, 1.1, 0.9, 0.85, 0.9, 0.95, 1.0)
"""Sales by month of the fiscal year (October first), relative to the year's level."""
BASELINE_YEARS: tuple[int, ...] = (2567, 2568)
BASE_YEAR = 2566


def day_offset(day: date) -> int:
    """Days from EPOCH, the form dates are stored in."""
    return (day - EPOCH).days


def offset_day(offset: int) -> date:
    """The date of a stored day offset."""
    return EPOCH + timedelta(days=int(offset))


def month_index(first_day: date) -> int:
    """Position of a month in SALES_MONTHS."""
    return (first_day.year - SALES_FROM.year) * 12 + first_day.month - SALES_FROM.month


def fiscal_quarter_months(fiscal_year: int, quarter: int) -> list[int]:
    """SALES_MONTHS positions of a fiscal quarter (BE year), e.g. 2566Q2 → Jan–Mar 2023."""
    start = (fiscal_year - 543 - 1 - SALES_FROM.year) * 12 + (quarter - 1) * 3
    return [start, start + 1, start + 2]


class MockRangeError(OtopSyncError, ValueError):
    """A "today" later than the mock can generate data for."""


@dataclass(frozen=True)
class MockSpec:
    """What to generate: the seed, the scale, and optionally the mock's "today"."""

    seed: int = 2567
    scale: Scale = "province"
    province_code: str = chiangrai.PROVINCE_CODE
    today: date | None = None
    """Leave out what was registered or recorded after this day, and go on up to it when it is
    later than DATA_UNTIL (None: everything up to DATA_UNTIL)."""

    def __post_init__(self) -> None:
        if self.today is not None and self.today > DATA_LIMIT:
            raise MockRangeError(
                f"the mock generates data up to {DATA_LIMIT} at most, not up to {self.today}"
            )

    @property
    def until(self) -> date:
        """The last day generated: today when later than DATA_UNTIL, else DATA_UNTIL."""
        return max(self.today or DATA_UNTIL, DATA_UNTIL)

    @property
    def province_codes(self) -> list[str]:
        """The provinces generated, in code order."""
        if self.scale == "national":
            return [p.code for p in geothai.provinces()]
        return [self.province_code]


@dataclass
class MockData:
    """All generated tables. Rows are grouped by province in code order."""

    spec: MockSpec
    districts: pd.DataFrame
    producers: pd.DataFrame
    products: pd.DataFrame
    sales: pd.DataFrame
    shops: pd.DataFrame
    baseline: pd.DataFrame
    corrections: pd.DataFrame = field(default_factory=lambda: _empty_sales())
    form_responses: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The Shop ชุมชน report form's responses: district, month, when submitted, units."""

    def province_rows(self, table: pd.DataFrame, province_code: str | None) -> pd.DataFrame:
        """A table's rows for one province (all rows for None)."""
        if province_code is None:
            return table
        district_rows = self.districts.index[self.districts["province_code"] == province_code]
        return table[table["district_idx"].isin(district_rows)]


def _empty_sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_idx": pd.Series(dtype="int16"),
            "producer_idx": pd.Series(dtype="int32"),
            "month_idx": pd.Series(dtype="int8"),
            "amount": pd.Series(dtype="int64"),
            "recorded": pd.Series(dtype="int32"),
            "month_format": pd.Series(dtype="int8"),
        }
    )


def allocate(weights: np.ndarray, total: int) -> np.ndarray:
    """Split an integer total (satang) in proportion to weights, exactly (largest remainder)."""
    if len(weights) == 0:
        raise ValueError("cannot allocate a total over no rows")
    share = weights.astype(np.float64) / float(weights.sum()) * total
    whole = np.floor(share).astype(np.int64)
    remainder = int(total - whole.sum())
    if not 0 <= remainder <= len(weights):
        raise ValueError(f"allocation drifted by {remainder} satang")
    order = np.argsort(-(share - whole), kind="stable")
    whole[order[:remainder]] += 1
    return whole


class _ProvinceBuilder:
    """Generates one province's rows with its own random stream."""

    def __init__(self, seed: int, province_code: str, district_offset: int) -> None:
        self.rng = np.random.default_rng([seed, int(province_code)])
        self.province = geothai.province(province_code)
        self.districts = geothai.districts(province_code)
        self.district_offset = district_offset

    def producers(self) -> pd.DataFrame:
        rng = self.rng
        frames = []
        for local, district in enumerate(self.districts):
            count = int(rng.integers(70, 126))
            subdistricts = [s.name_th for s in geothai.subdistricts(district.code)] or [
                district.name_th
            ]
            sub = rng.choice(len(subdistricts), size=count)
            kinds = rng.choice(3, size=count, p=names.PRODUCER_TYPE_WEIGHTS)
            picks = rng.integers(0, 1 << 30, size=(count, 3))
            producer_names = [
                _producer_name(int(kind), subdistricts[s], pick)
                for kind, s, pick in zip(kinds, sub, picks, strict=True)
            ]
            frames.append(
                pd.DataFrame(
                    {
                        "producer_code": [f"P{district.code}{i + 1:04d}" for i in range(count)],
                        "district_idx": np.full(count, self.district_offset + local, "int16"),
                        "subdistrict": [subdistricts[s] for s in sub],
                        "producer_type": kinds.astype("int8"),
                        "producer_name": producer_names,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def products(self, producers: pd.DataFrame, producer_offset: int) -> pd.DataFrame:
        rng = self.rng
        per_producer = 1 + rng.poisson(0.66, size=len(producers))
        owner = np.repeat(np.arange(len(producers)), per_producer)
        count = len(owner)
        category = rng.choice(5, size=count, p=names.CATEGORY_WEIGHTS).astype("int8")
        item_pick = rng.integers(0, 1 << 30, size=count)
        first, last = day_offset(PRODUCTS_FROM), day_offset(DATA_UNTIL)
        registered = rng.integers(first, last + 1, size=count).astype("int32")
        cancel_after = rng.integers(60, 900, size=count)
        cancelled = np.where(rng.random(count) < 0.07, registered + cancel_after, -1).astype(
            "int32"
        )
        cancelled[cancelled > last] = -1
        subdistricts = producers["subdistrict"].to_numpy()[owner]
        product_names = [
            _product_name(int(cat), int(pick), sub)
            for cat, pick, sub in zip(category, item_pick, subdistricts, strict=True)
        ]
        district_idx = producers["district_idx"].to_numpy()[owner]
        codes = producers["producer_code"].to_numpy()[owner]
        sequence = pd.Series(district_idx).groupby(district_idx).cumcount().to_numpy() + 1
        return pd.DataFrame(
            {
                "product_code": [
                    f"OT{c[1:5]}{s:05d}" for c, s in zip(codes, sequence, strict=True)
                ],
                "product_name": product_names,
                "category": category,
                "producer_idx": (owner + producer_offset).astype("int32"),
                "district_idx": district_idx,
                "registered": registered,
                "cancelled": cancelled,
            }
        )

    def sales(self, producers: pd.DataFrame, producer_offset: int) -> pd.DataFrame:
        rng = self.rng
        n_producers, n_months = len(producers), len(SALES_MONTHS)
        level = rng.lognormal(np.log(4_000_000), 0.9, size=n_producers)  # satang a month
        district_growth = rng.uniform(0.92, 1.15, size=len(self.districts))
        season = np.array(SEASON * 3)
        local_district = producers["district_idx"].to_numpy() - self.district_offset
        growth = np.ones((n_producers, n_months))
        growth[:, 12:24] = district_growth[local_district][:, None]
        growth[:, 24:] = (district_growth[local_district] ** 2)[:, None]
        noise = rng.lognormal(0.0, 0.25, size=(n_producers, n_months))
        amount = np.round(level[:, None] * season[None, :] * growth * noise)
        recorded_any = rng.random((n_producers, n_months)) >= 0.03
        producer_idx, month = np.nonzero(recorded_any)
        rows = pd.DataFrame(
            {
                "district_idx": producers["district_idx"].to_numpy()[producer_idx],
                "producer_idx": (producer_idx + producer_offset).astype("int32"),
                "month_idx": month.astype("int8"),
                "amount": amount[producer_idx, month].astype("int64"),
            }
        )
        district_months = [
            (self.district_offset + d, m)
            for d in range(len(self.districts))
            for m in range(n_months)
            if rng.random() < 0.08
        ]
        district_level = pd.DataFrame(
            {
                "district_idx": np.array([d for d, _ in district_months], "int16"),
                "producer_idx": np.full(len(district_months), -1, "int32"),
                "month_idx": np.array([m for _, m in district_months], "int8"),
                "amount": np.round(
                    rng.lognormal(np.log(20_000_000), 0.5, size=len(district_months))
                ).astype("int64"),
            }
        )
        rows = pd.concat([rows, district_level], ignore_index=True)
        rows = rows.sort_values(["district_idx", "producer_idx", "month_idx"], kind="stable")
        rows = rows.reset_index(drop=True)
        count = len(rows)
        due = np.array([day_offset(_next_month(m)) for m in SALES_MONTHS], "int32")
        late = rng.random(count) < 0.03
        delay = np.where(late, rng.integers(18, 40, size=count), rng.integers(0, 18, size=count))
        rows["recorded"] = (due[rows["month_idx"].to_numpy()] + delay).astype("int32")
        rows["month_format"] = rng.choice(4, size=count, p=[0.5, 0.2, 0.15, 0.15]).astype("int8")
        return rows

    def shops(
        self, producers: pd.DataFrame, producer_offset: int, interested: list[int], headroom: int
    ) -> pd.DataFrame:
        """Shop registrations: about the Q1 interest (40–160 %), at least interest + headroom."""
        rng = self.rng
        frames = []
        first, last = day_offset(SHOPS_FROM), day_offset(DATA_UNTIL)
        for local, district in enumerate(self.districts):
            total = max(1, round(interested[local] * rng.uniform(0.4, 1.6)))
            if headroom:
                total = max(total, interested[local] + headroom)
            registered = np.sort(rng.integers(first, last + 1, size=total)).astype("int32")
            frames.append(self._district_shops(local, district, producers, registered))
        shops = pd.concat(frames, ignore_index=True)
        shops["producer_idx"] = np.where(
            shops["producer_idx"] >= 0, shops["producer_idx"] + producer_offset, -1
        ).astype("int32")
        return shops

    def _district_shops(
        self,
        local: int,
        district: geothai.District,
        producers: pd.DataFrame,
        registered: np.ndarray,
    ) -> pd.DataFrame:
        rng = self.rng
        count = len(registered)
        own = np.flatnonzero(producers["district_idx"].to_numpy() == self.district_offset + local)
        centre = rng.random(count) < 0.12
        chosen = rng.choice(own, size=count, replace=count > len(own))
        producer_idx = np.where(centre, -1, chosen).astype("int32")
        shop_names = [
            _shop_name(
                bool(is_centre),
                f"{district.name_th} {i + 1}",
                int(p),
                producers["subdistrict"].iat[int(p)],
            )
            for i, (is_centre, p) in enumerate(zip(centre, chosen, strict=True))
        ]
        return pd.DataFrame(
            {
                "shop_code": [f"S{district.code}{i + 1:04d}" for i in range(count)],
                "shop_name": shop_names,
                "shop_type": centre.astype("int8"),
                "producer_idx": producer_idx,
                "district_idx": np.full(count, self.district_offset + local, "int16"),
                "registered": registered,
            }
        )


def _next_month(first_day: date) -> date:
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


def _product_name(category: int, pick: int, subdistrict: str) -> str:
    items = names.PRODUCT_ITEMS[names.PRODUCT_CATEGORIES[category]]
    return f"{items[pick % len(items)]} บ้าน{subdistrict}"


def _shop_name(is_centre: bool, centre_label: str, producer: int, subdistrict: str) -> str:
    if is_centre:
        return names.CENTRE_NAME.format(centre_label)
    return names.SHOP_NAME.format(names.FIRST_NAMES[producer % len(names.FIRST_NAMES)], subdistrict)


def _producer_name(kind: int, subdistrict: str, pick: np.ndarray) -> str:
    a, b, c = (int(x) for x in pick)
    if kind == 0:
        prefix = names.GROUP_PREFIXES[a % len(names.GROUP_PREFIXES)]
        theme = names.GROUP_THEMES[b % len(names.GROUP_THEMES)]
        return f"{prefix}{theme}{subdistrict}"
    if kind == 1:
        title = names.TITLES[a % len(names.TITLES)]
        first = names.FIRST_NAMES[b % len(names.FIRST_NAMES)]
        return f"{title}{first} {names.LAST_NAMES[c % len(names.LAST_NAMES)]}"
    form = names.SME_FORMS[a % len(names.SME_FORMS)]
    return form.format(names.SME_WORDS[b % len(names.SME_WORDS)])


def generate(spec: MockSpec) -> MockData:
    """Generate every table for the spec's provinces (see module docstring)."""
    district_rows, producers, products, sales, shops, interest = [], [], [], [], [], []
    producer_offset = 0
    for province_code in spec.province_codes:
        builder = _ProvinceBuilder(spec.seed, province_code, len(district_rows))
        district_rows += [
            (d.code, province_code, d.name_th, builder.province.name_th) for d in builder.districts
        ]
        prov_producers = builder.producers()
        prov_products = builder.products(prov_producers, producer_offset)
        prov_sales = builder.sales(prov_producers, producer_offset)
        counts = [int(builder.rng.integers(2, 31)) for _ in builder.districts]
        headroom = 0
        if province_code == chiangrai.PROVINCE_CODE:
            counts = [chiangrai.SEED_TABLE[d.code][1] for d in builder.districts]
            headroom = 6  # room for every scenario level, its extra units and later shops
        prov_shops = builder.shops(prov_producers, producer_offset, counts, headroom)
        interest += [
            (builder.district_offset + i, year, count if year == 2567 else max(1, count + delta))
            for year in BASELINE_YEARS
            for i, (count, delta) in enumerate(
                zip(counts, builder.rng.integers(-3, 6, size=len(counts)), strict=True)
            )
        ]
        producers.append(prov_producers)
        products.append(prov_products)
        sales.append(prov_sales)
        shops.append(prov_shops)
        producer_offset += len(prov_producers)
    districts = pd.DataFrame(
        district_rows, columns=["district_code", "province_code", "name_th", "province_name_th"]
    )
    data = MockData(
        spec=spec,
        districts=districts,
        producers=pd.concat(producers, ignore_index=True),
        products=pd.concat(products, ignore_index=True),
        sales=pd.concat(sales, ignore_index=True),
        shops=pd.concat(shops, ignore_index=True),
        baseline=pd.DataFrame(),
    )
    if chiangrai.PROVINCE_CODE in spec.province_codes:
        _shape_chiang_rai(data)
    data.baseline = _baseline(data, interest)
    _continue(data, spec.until)
    data.form_responses = _form_responses(data)
    if spec.today is not None:
        _cut_at(data, day_offset(spec.today))
    return data


def _district_index(data: MockData) -> dict[str, int]:
    return {code: i for i, code in enumerate(data.districts["district_code"])}


def _shape_chiang_rai(data: MockData) -> None:
    """Make Chiang Rai match the letter (2566Q2 base sales) and the 2567Q2 scenario."""
    index = _district_index(data)
    sales = data.sales
    base_months = fiscal_quarter_months(2566, 2)
    target_months = fiscal_quarter_months(2567, 2)
    amounts = sales["amount"].to_numpy().copy()
    for code, (base, _interested) in chiangrai.SEED_TABLE.items():
        in_district = sales["district_idx"].to_numpy() == index[code]
        in_base = in_district & sales["month_idx"].isin(base_months).to_numpy()
        # Scale the district's whole series to the letter's size, then fix the quarters exactly.
        factor = base / amounts[in_base].sum()
        amounts[in_district] = np.maximum(1, np.round(amounts[in_district] * factor))
        for months, total in (
            (base_months, base),
            (target_months, _scenario_sales(code, base)),
        ):
            rows = np.flatnonzero(in_district & sales["month_idx"].isin(months).to_numpy())
            amounts[rows] = allocate(amounts[rows], total)
    sales["amount"] = amounts
    _shape_products(data, index)
    _shape_shops(data, index)


def _scenario_sales(code: str, base: int) -> int:
    target = chiangrai.sales_target_satang(base)
    mode = chiangrai.SCENARIO_2567Q2[code][1]
    step = int(code[2:])
    return {
        "exact": target,
        "short": target - 1,
        "below": target * 9 // 10,
        "above": target + target * (3 + step % 9) // 100,
    }[mode]


def _shape_products(data: MockData, index: dict[str, int]) -> None:
    """Net product growth in 2567Q2: none where the scenario fails, at least one elsewhere."""
    products = data.products
    start, end = day_offset(date(2024, 1, 1)), day_offset(date(2024, 3, 31))
    registered = products["registered"].to_numpy().copy()
    cancelled = products["cancelled"].to_numpy().copy()
    for code, (products_met, *_rest) in chiangrai.SCENARIO_2567Q2.items():
        mine = products["district_idx"].to_numpy() == index[code]
        if products_met:
            in_window = mine & (registered >= start) & (registered <= end)
            cancelled_in = mine & (cancelled >= start) & (cancelled <= end)
            if in_window.sum() - cancelled_in.sum() < 1:
                spare = np.flatnonzero(mine & ~in_window & (cancelled < 0))
                registered[spare[0]] = day_offset(date(2024, 2, 15))
        else:
            moved = mine & (registered >= start) & (registered <= end)
            registered[moved] += 91
            late_cancel = (
                mine
                & (cancelled >= 0)
                & (((cancelled >= start) & (cancelled <= end)) | (cancelled < registered))
            )
            cancelled[late_cancel] = np.maximum(
                cancelled[late_cancel] + 91, registered[late_cancel]
            )
    products["registered"] = registered
    products["cancelled"] = cancelled


def _shape_shops(data: MockData, index: dict[str, int]) -> None:
    """Shop ชุมชน units at 2567Q2's end: exactly the scenario's level (plus its extra units)."""
    quarter_end = day_offset(date(2024, 3, 31))
    shops = data.shops
    rng = np.random.default_rng([data.spec.seed, 5702567])
    registered = shops["registered"].to_numpy().copy()
    for code, (_p, _s, level, extra) in chiangrai.SCENARIO_2567Q2.items():
        interested = chiangrai.SEED_TABLE[code][1]
        wanted = (
            chiangrai.shop_threshold(interested, level) + extra
            if level
            else max(0, chiangrai.shop_threshold(interested, "D") - 1)
        )
        rows = np.flatnonzero(shops["district_idx"].to_numpy() == index[code])
        if len(rows) < wanted + 2:
            raise ValueError(f"district {code} has too few shops for its scenario")
        early = rng.integers(day_offset(SHOPS_FROM), quarter_end + 1, size=wanted)
        late = rng.integers(quarter_end + 1, day_offset(DATA_UNTIL) + 1, size=len(rows) - wanted)
        registered[rows] = np.sort(np.concatenate([early, late]))
    shops["registered"] = registered.astype("int32")


def _baseline(data: MockData, interest: list[tuple[int, int, int]]) -> pd.DataFrame:
    """Per district, fiscal year and quarter: published base sales and the Q1 interest."""
    sales = data.sales
    rows = []
    codes = data.districts["district_code"].to_numpy()
    by_district_month = sales.groupby(["district_idx", "month_idx"])["amount"].sum()
    for district_idx, year, count in interest:
        code = codes[district_idx]
        for quarter in (1, 2, 3, 4):
            months = fiscal_quarter_months(BASE_YEAR, quarter)
            base = int(sum(by_district_month.get((district_idx, m), 0) for m in months))
            base += chiangrai.PUBLISHED_BASE_DIFFERENCES.get((year, quarter, code), 0)
            # FY2567 lists the interest on every quarter's rows, FY2568 only on Q1's.
            listed = count if (year == 2567 or quarter == 1) else -1
            rows.append((year, quarter, district_idx, base, listed))
    return pd.DataFrame(
        rows, columns=["fiscal_year", "quarter", "district_idx", "base_sales", "interested_q1"]
    )


def _form_responses(data: MockData) -> pd.DataFrame:
    """One response per district and month from the programme's start, submitted between the
    6th and the 20th of the next month (after the 15th is late; a few months are never
    reported), with the producers and centres registered in Shop ชุมชน by the month's end
    (except :data:`chiangrai.FORM_REPORT_DIFFERENCES`). Each month after DATA_UNTIL draws from
    a stream of its own, district by district."""
    months = [
        date(year, month, 1)
        for year in range(SHOPS_FROM.year, DATA_UNTIL.year + 1)
        for month in range(1, 13)
        if SHOPS_FROM.replace(day=1) <= date(year, month, 1) <= DATA_UNTIL
    ]
    rng = np.random.default_rng([data.spec.seed, 15])
    streams = [(rng, first) for first in months] + [
        (np.random.default_rng([data.spec.seed, 15, first.year, first.month]), first)
        for first in _months_after(DATA_UNTIL, data.spec.until)
    ]
    shops = data.shops
    rows = []
    codes = data.districts["district_code"].to_numpy()
    for district_idx in range(len(data.districts)):
        in_district = shops[shops["district_idx"].to_numpy() == district_idx]
        for rng, first in streams:
            if rng.random() < 0.05:
                continue
            end = day_offset(_next_month(first)) - 1
            registered = in_district[in_district["registered"].to_numpy() <= end]
            producers = registered.loc[registered["producer_idx"] >= 0, "producer_idx"].nunique()
            producers += chiangrai.FORM_REPORT_DIFFERENCES.get(
                (str(codes[district_idx]), f"{first:%Y-%m}"), 0
            )
            rows.append(
                (
                    district_idx,
                    day_offset(first),
                    end + int(rng.integers(6, 21)),
                    int(rng.integers(8 * 3600, 18 * 3600)),
                    int(producers),
                    int((registered["producer_idx"] < 0).sum()),
                )
            )
    return pd.DataFrame(
        rows,
        columns=["district_idx", "month", "submitted", "second", "producers", "centres"],
    )


CONTINUATION_STREAM = 2569
"""Tag of the random streams of the months after DATA_UNTIL: (seed, tag, province, year, month)."""


def _months_after(last: date, until: date) -> list[date]:
    """The first days of the months after ``last``'s month, up to ``until``'s month."""
    first = _next_month(last.replace(day=1))
    months = []
    while first <= until:
        months.append(first)
        first = _next_month(first)
    return months


def _continue(data: MockData, until: date) -> None:
    """Go on from DATA_UNTIL month by month up to ``until``: each province's sales, new
    products, a few cancellations and new Shop ชุมชน registrations, each month of a province
    from its own stream."""
    months = _months_after(DATA_UNTIL, until)
    if not months:
        return
    places = [_Place(data, code) for code in data.spec.province_codes]
    sales = [data.sales]
    for place in places:
        for first in months:
            rng = np.random.default_rng(
                [data.spec.seed, CONTINUATION_STREAM, int(place.code), first.year, first.month]
            )
            sales.append(place.month_sales(rng, first))
            place.add_products(rng, first)
            place.add_shops(rng, first)
    data.sales = _in_order(sales, ["district_idx", "producer_idx", "month_idx"])
    data.products = _in_order([p.products for p in places], ["district_idx"])
    data.shops = _in_order([p.shops for p in places], ["district_idx"])


def _in_order(frames: list[pd.DataFrame], by: list[str]) -> pd.DataFrame:
    """Frames joined and sorted stably, so that rows already in order keep their order."""
    joined = pd.concat(frames, ignore_index=True)
    return joined.sort_values(by, kind="stable").reset_index(drop=True)


class _Place:
    """One province's tables up to DATA_UNTIL, and how they go on in a later month."""

    def __init__(self, data: MockData, province_code: str) -> None:
        self.code = province_code
        self.data = data
        self.district_idx = np.flatnonzero(data.districts["province_code"] == province_code)
        self.district_codes = data.districts["district_code"].to_numpy()[self.district_idx]
        self.district_names = data.districts["name_th"].to_numpy()[self.district_idx]
        producer_district = data.producers["district_idx"].to_numpy()
        # Producers are generated district by district: each district's are one run of indices.
        self.producer_start = np.searchsorted(producer_district, self.district_idx)
        self.producer_count = (
            np.searchsorted(producer_district, self.district_idx, side="right")
            - self.producer_start
        )
        runs = zip(self.producer_start, self.producer_count, strict=True)
        self.producer_idx = np.concatenate([np.arange(s, s + n) for s, n in runs])
        self.producer_local = np.repeat(np.arange(len(self.district_idx)), self.producer_count)
        self.subdistricts = data.producers["subdistrict"].to_numpy()
        self.producer_codes = data.producers["producer_code"].to_numpy()
        self.products = self._mine(data.products).copy()
        self.shops = self._mine(data.shops).copy()
        self._sales_levels(self._mine(data.sales))
        months_products = month_index(DATA_UNTIL) - month_index(PRODUCTS_FROM) + 1
        months_shops = month_index(DATA_UNTIL) - month_index(SHOPS_FROM) + 1
        self.product_pace = self._counts(self.products) / months_products
        self.shop_pace = self._counts(self.shops) / months_shops / 2

    def _mine(self, table: pd.DataFrame) -> pd.DataFrame:
        return table[np.isin(table["district_idx"].to_numpy(), self.district_idx)]

    def _counts(self, table: pd.DataFrame) -> np.ndarray:
        """Rows per district of the province, in district order."""
        counts = table["district_idx"].value_counts()
        return counts.reindex(self.district_idx, fill_value=0).to_numpy()

    def _sales_levels(self, sales: pd.DataFrame) -> None:
        """Each producer's FY2568 monthly level without the season, each district's growth
        from FY2567 to FY2568 (kept within the generator's range) and its usual district-level
        figure."""
        season = np.array(SEASON)
        month = sales["month_idx"].to_numpy()
        producer_rows = sales["producer_idx"].to_numpy() >= 0
        last_year = sales[(month >= 24) & producer_rows]
        level = (
            (last_year["amount"] / season[last_year["month_idx"].to_numpy() % 12])
            .groupby(last_year["producer_idx"].to_numpy())
            .mean()
            .reindex(self.producer_idx)
        )
        fallback = level.groupby(self.producer_local).transform("median")
        self.level = level.fillna(fallback).fillna(float(level.median())).to_numpy()
        year_sums = sales.groupby([sales["district_idx"].to_numpy(), month // 12])["amount"].sum()
        self.growth = np.array(
            [year_sums.get((d, 2), 1) / max(1, year_sums.get((d, 1), 1)) for d in self.district_idx]
        ).clip(0.92, 1.15)
        figures = sales[~producer_rows].groupby("district_idx")["amount"].median()
        usual = float(figures.median()) if len(figures) else 20_000_000.0
        self.district_figure = figures.reindex(self.district_idx).fillna(usual).to_numpy()

    def month_sales(self, rng: np.random.Generator, first: date) -> pd.DataFrame:
        """The month's sales: each producer at its level for the season, grown each fiscal year
        by its district's growth, a few not recorded; district-level figures in about one
        district in twelve; recorded by the 18th of the next month, a few later."""
        index = month_index(first)
        years = index // 12 - 2
        growth = self.growth**years
        noise = rng.lognormal(0.0, 0.25, size=len(self.producer_idx))
        amount = np.round(
            self.level * SEASON[index % 12] * growth[self.producer_local] * noise
        ).astype("int64")
        recorded = rng.random(len(self.producer_idx)) >= 0.03
        with_figure = np.flatnonzero(rng.random(len(self.district_idx)) < 0.08)
        figures = np.round(
            self.district_figure[with_figure]
            * growth[with_figure]
            * rng.lognormal(0.0, 0.5, size=len(with_figure))
        ).astype("int64")
        rows = pd.DataFrame(
            {
                "district_idx": self.district_idx[
                    np.concatenate([self.producer_local[recorded], with_figure])
                ].astype("int16"),
                "producer_idx": np.concatenate(
                    [self.producer_idx[recorded], np.full(len(with_figure), -1)]
                ).astype("int32"),
                "month_idx": np.full(int(recorded.sum()) + len(with_figure), index, "int8"),
                "amount": np.maximum(1, np.concatenate([amount[recorded], figures])),
            }
        )
        count = len(rows)
        late = rng.random(count) < 0.03
        delay = np.where(late, rng.integers(18, 40, size=count), rng.integers(0, 18, size=count))
        rows["recorded"] = (day_offset(_next_month(first)) + delay).astype("int32")
        rows["month_format"] = rng.choice(4, size=count, p=[0.5, 0.2, 0.15, 0.15]).astype("int8")
        return rows

    def _days(self, rng: np.random.Generator, first: date, count: int) -> np.ndarray:
        """``count`` days of the month, as day offsets."""
        start, end = day_offset(first), day_offset(_next_month(first)) - 1
        return rng.integers(start, end + 1, size=count).astype("int32")

    def _new_rows(
        self, rng: np.random.Generator, table: pd.DataFrame, pace: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How many new rows each district gets at its pace; for each row its district's
        position, its number within the district (after the rows so far) and a producer of
        the district picked at random."""
        per_district = rng.poisson(pace)
        local = np.repeat(np.arange(len(self.district_idx)), per_district)
        numbers = np.concatenate(
            [np.arange(1, n + 1) for n in per_district] or [np.zeros(0, np.int64)]
        ) + np.repeat(self._counts(table), per_district)
        owner = self.producer_start[local] + np.floor(
            rng.random(len(local)) * self.producer_count[local]
        ).astype(np.int64)
        return local, numbers.astype(np.int64), owner.astype("int32")

    def add_products(self, rng: np.random.Generator, first: date) -> None:
        """Products registered in the month at each district's pace up to DATA_UNTIL, and one
        in five hundred of the active ones cancelled."""
        products = self.products
        active = (products["cancelled"].to_numpy() < 0) & (
            products["registered"].to_numpy() < day_offset(first)
        )
        cancelled = products["cancelled"].to_numpy().copy()
        chosen = np.flatnonzero(active & (rng.random(len(products)) < 0.002))
        cancelled[chosen] = self._days(rng, first, len(chosen))
        products["cancelled"] = cancelled
        local, numbers, owner = self._new_rows(rng, products, self.product_pace)
        count = len(local)
        category = rng.choice(5, size=count, p=names.CATEGORY_WEIGHTS).astype("int8")
        item_pick = rng.integers(0, 1 << 30, size=count)
        new = pd.DataFrame(
            {
                "product_code": [
                    f"OT{self.district_codes[d]}{n:05d}"
                    for d, n in zip(local, numbers, strict=True)
                ],
                "product_name": [
                    _product_name(int(c), int(p), self.subdistricts[o])
                    for c, p, o in zip(category, item_pick, owner, strict=True)
                ],
                "category": category,
                "producer_idx": owner,
                "district_idx": self.district_idx[local].astype("int16"),
                "registered": self._days(rng, first, count),
                "cancelled": np.full(count, -1, "int32"),
            }
        )
        self.products = pd.concat([products, new], ignore_index=True)

    def add_shops(self, rng: np.random.Generator, first: date) -> None:
        """Shop ชุมชน registrations in the month at half each district's pace up to
        DATA_UNTIL: about one in eight a sales centre, the others a producer of the district."""
        local, numbers, owner = self._new_rows(rng, self.shops, self.shop_pace)
        count = len(local)
        centre = rng.random(count) < 0.12
        new = pd.DataFrame(
            {
                "shop_code": [
                    f"S{self.district_codes[d]}{n:04d}" for d, n in zip(local, numbers, strict=True)
                ],
                "shop_name": [  # names by the producer's place in the province, as at first
                    _shop_name(
                        bool(c),
                        f"{self.district_names[d]} {n}",
                        int(o - self.producer_idx[0]),
                        self.subdistricts[o],
                    )
                    for c, d, n, o in zip(centre, local, numbers, owner, strict=True)
                ],
                "shop_type": centre.astype("int8"),
                "producer_idx": np.where(centre, -1, owner).astype("int32"),
                "district_idx": self.district_idx[local].astype("int16"),
                "registered": np.sort(self._days(rng, first, count)),
            }
        )
        self.shops = pd.concat([self.shops, new], ignore_index=True)


def _cut_at(data: MockData, today: int) -> None:
    """Leave out what had not happened by ``today``."""
    products = data.products[data.products["registered"] <= today].copy()
    products.loc[products["cancelled"] > today, "cancelled"] = -1
    data.products = products.reset_index(drop=True)
    data.sales = data.sales[data.sales["recorded"] <= today].reset_index(drop=True)
    data.shops = data.shops[data.shops["registered"] <= today].reset_index(drop=True)
    responses = data.form_responses
    data.form_responses = responses[responses["submitted"] <= today].reset_index(drop=True)
