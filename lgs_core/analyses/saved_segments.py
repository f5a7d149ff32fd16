"""Saved segments (issue #18; docs/SEGMENTATION.md "Saved segments"): rule-based segments kept by name in the
store, their customers, why a customer is in one, how they change over time and who moved in or out.

- **Definitions, not lists.** The store keeps a segment's rule (``lgs_core.analyses.segment_rules``), never its
  customers, in table ``saved_segments`` (sql/store/saved_segments.sql). Every evaluation runs the
  rule on what the store holds now, over the window the user chose, so a saved segment survives a reload, an
  append, a sync or a replacement of the data set: no load or sync touches the table. On a new data set a rule
  naming a country, product or segment it lacks matches nobody there, and ``unknown_values`` says which.
- **The same facts as RFM.** A rule reads ``sql/segments/segment_facts.sql``: RFM's recency, frequency
  (orders), monetary (spend) and country (the definitions of sql/analytics/rfm_base.sql, with the same
  reference date), plus the first order at any date. tests/store/test_saved_segments.py checks they equal rfm's.
- **One way to change them.** ``apply_change`` is the only function that writes the table (save, rename,
  delete): a change of shared state, so a later sign-in can gate it in one place.

``evaluate(con, facts, rule)`` scores the rule on ``customer_facts(con, window, preset)`` (one period: the
window); ``history`` does it at each month's end, ``segment_migration`` at two dates, and ``size_moves``
judges the weekly size of every saved segment with the weekly report's detector (lgs_core.analyses.anomaly).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import duckdb
import polars as pl

from lgs_core import glossary
from lgs_core.analyses import export
from lgs_core.analyses.analytics import check_preset
from lgs_core.analyses.migration import Migration, default_reference_dates, reference_windows
from lgs_core.analyses.rfm import CLASSIC_REFERENCE_DATE, RfmParams, rfm
from lgs_core.analyses.segment_rules import (
    FIELDS,
    TIER_LABELS,
    VALUE_HORIZON_DAYS,
    VALUE_TIERS,
    WINDOW_PARAMETERS,
    Condition,
    Group,
    compile_checks,
    money_words,
    rule_from_text,
)
from lgs_core.errors import LgsError
from lgs_core.query.run import execute, rows, run, run_sql, scalar
from lgs_core.query.window import Window
from lgs_core.store import store

NAME_MAX = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MONEY = pl.Decimal(38, 3)
_PENNY = Decimal("0.01")

DEFINITIONS: dict[str, str] = glossary.section("saved_segments")  # docs/DEFINITIONS.md

EXPORT_COLUMNS = (
    "customer_id",
    "country",
    "last_order",
    "recency_days",
    "orders",
    "spend",
    "average_order_value",
    "first_order",
)


# --- the saved segments table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedSegment:
    """A saved segment: its name and rule, when it was saved and by whom (None until the app has sign-in)."""

    name: str
    rule: Group
    created_at: datetime
    updated_at: datetime
    updated_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule.to_json(),
            "rule_text": self.rule.label(),
            "created_at": self.created_at.isoformat(sep=" "),
            "updated_at": self.updated_at.isoformat(sep=" "),
            "updated_by": self.updated_by,
        }


@dataclass(frozen=True)
class SaveSegment:
    """Save ``rule`` as ``name``; ``replaces``: the name it had (an edit, possibly a rename), else a new one."""

    name: str
    rule: Group
    replaces: str | None = None


@dataclass(frozen=True)
class DeleteSegment:
    name: str


SegmentChange = SaveSegment | DeleteSegment


def check_name(name: str) -> str:
    """A segment name as stored: trimmed, 1–80 characters, no control characters (any other text is fine:
    quotes, Unicode, SQL; names are only ever bound parameters and shown as text)."""
    text = str(name).strip()
    if not text:
        raise LgsError("the segment has no name", where="segment name", todo="type a name, e.g. France VIP")
    if len(text) > NAME_MAX:
        raise LgsError(
            f"the name has {len(text)} characters", where="segment name", todo=f"keep it to {NAME_MAX}"
        )
    if _CONTROL.search(text):
        raise LgsError(
            "the name holds a control character (a tab, a line break, …)",
            where="segment name",
            todo="use letters, digits, spaces and punctuation",
        )
    return text


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(scalar(con, "store/saved_segments_table"))


def _row_to_segment(row: tuple[Any, ...]) -> SavedSegment:
    name, rule_text, created, updated, by = row
    try:
        rule = rule_from_text(rule_text)
    except LgsError as exc:  # written by a newer version, or edited by hand
        raise LgsError(
            f"its rule cannot be read ({exc.what})",
            where=f"saved segment {name!r}",
            todo="delete it and save it again",
        ) from None
    return SavedSegment(name, rule, created, updated, by)


def list_segments(con: duckdb.DuckDBPyConnection) -> list[SavedSegment]:
    """Every saved segment, by name (ignoring case); none when nothing was ever saved (read-only too)."""
    if not _has_table(con):
        return []
    return [_row_to_segment(r) for r in rows(con, "store/saved_segments_list")]


def find_segment(con: duckdb.DuckDBPyConnection, name: str) -> SavedSegment | None:
    """The saved segment called ``name`` (ignoring case and surrounding spaces), or None."""
    if not _has_table(con):
        return None
    found = rows(con, "store/saved_segments_find", {"name": str(name).strip()})
    return _row_to_segment(found[0]) if found else None


def get_segment(con: duckdb.DuckDBPyConnection, name: str) -> SavedSegment:
    """``find_segment``, or an LgsError that lists the saved names."""
    found = find_segment(con, name)
    if found is None:
        names = [s.name for s in list_segments(con)]
        raise LgsError(
            f"no saved segment named {str(name)[:NAME_MAX]!r}",
            where="segment",
            todo=f"use one of: {', '.join(names)}"
            if names
            else "save one on the app's Saved segments page first",
        )
    return found


def apply_change(
    con: duckdb.DuckDBPyConnection, change: SegmentChange, *, actor: str | None = None
) -> SavedSegment | None:
    """Save, rename or delete a saved segment, in one transaction: the one function that changes the shared
    ``saved_segments`` table (the app's sign-in can gate it here). Returns the saved segment (None: deleted).

    A save under a name another segment holds (ignoring case) is refused unless it is that segment's edit
    (``replaces`` names it); deleting a segment that does not exist is refused too.
    """
    execute(con, "store/saved_segments")
    now = datetime.now().replace(microsecond=0)
    with store.transaction(con):
        if isinstance(change, DeleteSegment):
            existing = find_segment(con, change.name)
            if existing is None:
                raise LgsError(
                    f"no saved segment named {str(change.name)[:NAME_MAX]!r} to delete",
                    where="segment",
                    todo="reload the page: someone may have deleted or renamed it",
                )
            execute(con, "store/saved_segments_delete", {"name": existing.name})
            return None
        name = check_name(change.name)
        holder = find_segment(con, name)
        previous = find_segment(con, change.replaces) if change.replaces else None
        if change.replaces and previous is None:
            raise LgsError(
                f"the segment {change.replaces[:NAME_MAX]!r} is no longer saved",
                where="segment",
                todo="reload the page: someone may have deleted or renamed it; save under a new name",
            )
        if holder is not None and (previous is None or holder.name != previous.name):
            raise LgsError(
                f"a segment named {holder.name!r} is already saved",
                where="segment name",
                todo="choose another name, or open that segment to edit it",
            )
        created = previous.created_at if previous is not None else now
        if previous is not None:
            execute(con, "store/saved_segments_delete", {"name": previous.name})
        execute(
            con,
            "store/saved_segments_insert",
            {"name": name, "rule": change.rule.to_text(), "created": created, "updated": now, "by": actor},
        )
    return SavedSegment(name, change.rule, created, now, actor)


# --- the facts a rule reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One evaluation of a rule: the lines from the window's start to ``end`` (exclusive), recency counted to
    ``reference``; ``start`` is where ``period_revenue`` (a month's revenue) starts."""

    start: datetime
    end: datetime
    reference: datetime


@dataclass(frozen=True)
class Facts:
    """What rules read, per customer (sql/segments/segment_facts.sql's columns) at one or more periods."""

    window: Window  # resolved: both dates set
    preset: str
    periods: tuple[Period, ...]
    frame: pl.DataFrame
    data_version: str

    @property
    def reference_date(self) -> date | None:
        return self.periods[-1].reference.date() if self.periods else None

    @property
    def customers(self) -> int:
        return self.frame.height


_FACTS_SCHEMA: dict[str, Any] = {
    "period_end": pl.Datetime("us"),
    "reference_date": pl.Date,
    "customer_id": pl.Int32,
    "country": pl.String,
    "first_order": pl.Datetime("us"),
    "first_purchase": pl.Datetime("us"),
    "last_purchase": pl.Datetime("us"),
    "recency_days": pl.Int32,
    "frequency": pl.Int32,
    "monetary": _MONEY,
    "period_revenue": _MONEY,
}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def default_reference(con: duckdb.DuckDBPyConnection, window: Window, preset: str) -> date | None:
    """RFM's default reference date for ``window`` (docs/DEFINITIONS.md `reference_date`): classic 2012-01-01,
    standard the day after the last line in the window's dates (None: no line there)."""
    if check_preset(preset) == "classic":
        return CLASSIC_REFERENCE_DATE
    found = scalar(con, "segments/segment_reference", window.params(con))
    return None if found is None else found.date()


def period_facts(
    con: duckdb.DuckDBPyConnection, window: Window, preset: str, periods: Sequence[Period]
) -> pl.DataFrame:
    """segment_facts.sql over ``periods`` (the window's countries and products, its start)."""
    if not periods:
        return pl.DataFrame(schema=_FACTS_SCHEMA)
    available = {
        **window.params(con),
        "classic": check_preset(preset) == "classic",
        "period_starts": [p.start for p in periods],
        "period_ends": [p.end for p in periods],
        "period_references": [p.reference for p in periods],
    }
    frame = run(con, "segments/segment_facts", available)
    return frame.cast(_FACTS_SCHEMA).select(list(_FACTS_SCHEMA)).sort("period_end", "customer_id")  # type: ignore[arg-type]


def customer_facts(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    preset: str = "standard",
    *,
    reference_date: date | None = None,
) -> Facts:
    """Every customer with a purchase in ``window``, with what rules read, recency counted to
    ``reference_date`` (default: RFM's, ``default_reference``)."""
    chosen = check_preset(preset)
    resolved = window.resolved(con)
    params = resolved.params()
    reference = reference_date or default_reference(con, resolved, chosen)
    periods = (
        (Period(params["start"], params["end_excl"], _midnight(reference)),) if reference is not None else ()
    )
    frame = period_facts(con, resolved, chosen, periods)
    return Facts(resolved, chosen, periods, frame, store.data_version(con))


def _period_window(window: Window, period: Period) -> Window:
    return replace(window, end=(period.end - timedelta(days=1)).date())


# --- what a rule needs beyond the facts: RFM segments, lifetime-value tiers -----------------------------------

_RFM_SCHEMA: dict[str, Any] = {
    "period_end": pl.Datetime("us"),
    "customer_id": pl.Int32,
    "map": pl.String,
    "segment": pl.String,
}
_VALUE_SCHEMA: dict[str, Any] = {
    "period_end": pl.Datetime("us"),
    "customer_id": pl.Int32,
    "tier": pl.String,
    "expected_spend": pl.Float64,
}


def rfm_segments(con: duckdb.DuckDBPyConnection, facts: Facts, maps: Sequence[str]) -> pl.DataFrame:
    """Each customer's RFM segment (quintile scores, the Customer segments page's default) on each map, at
    each period of ``facts`` (its reference date): period_end, customer_id, map, segment."""
    parts = [pl.DataFrame(schema=_RFM_SCHEMA)]
    for period in facts.periods:
        for name in maps:
            params = RfmParams(preset=facts.preset, reference_date=period.reference.date(), segment_map=name)
            scored = rfm(con, _period_window(facts.window, period), params).customers
            parts.append(
                scored.select(
                    pl.lit(period.end).cast(pl.Datetime("us")).alias("period_end"),
                    "customer_id",
                    pl.lit(name).alias("map"),
                    "segment",
                ).cast(_RFM_SCHEMA)  # type: ignore[arg-type]
            )
    return pl.concat(parts)


def tier_of(rank: int, customers: int) -> str:
    """The tier of the customer ranked ``rank`` (1 = the highest expected spend) among ``customers``: the
    first tier whose cumulative share, times the customers and rounded up, reaches the rank."""
    for key, _, share in VALUE_TIERS:
        if rank <= math.ceil(Fraction(str(share)) * customers):  # 0.2 exactly, not the float just above it
            return key
    return VALUE_TIERS[-1][0]


def value_tiers(con: duckdb.DuckDBPyConnection, facts: Facts) -> pl.DataFrame:
    """Each customer's lifetime-value tier at each period of ``facts``: period_end, customer_id, tier,
    expected_spend (£, the next VALUE_HORIZON_DAYS days; lgs_core.analyses.clv). A period with too few customers to
    fit the model has no tiers (its customers match no tier condition)."""
    from lgs_core.analyses import clv  # scipy: only when a rule names a tier

    parts = [pl.DataFrame(schema=_VALUE_SCHEMA)]
    for period in facts.periods:
        try:
            value = clv.customer_value(
                con, _period_window(facts.window, period), horizons=(VALUE_HORIZON_DAYS,), preset=facts.preset
            )
        except LgsError:
            if len(facts.periods) == 1:
                raise
            continue
        ranked = value.by_spend(VALUE_HORIZON_DAYS)
        n = ranked.height
        tiers = [tier_of(i + 1, n) for i in range(n)]
        parts.append(
            ranked.select(
                pl.lit(period.end).cast(pl.Datetime("us")).alias("period_end"),
                "customer_id",
                pl.Series("tier", tiers, dtype=pl.String),
                pl.col(clv.spend_column(VALUE_HORIZON_DAYS)).alias("expected_spend"),
            ).cast(_VALUE_SCHEMA)  # type: ignore[arg-type]
        )
    return pl.concat(parts)


# --- evaluating a rule ---------------------------------------------------------------------------------------


def _rule_frame(
    con: duckdb.DuckDBPyConnection | None,
    facts: Facts,
    rule: Group,
    *,
    rfm_frame: pl.DataFrame | None = None,
    value_frame: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``facts.frame`` with one boolean per condition (``check_0`` …) and ``matches`` (the whole rule),
    computed by the compiled rule in DuckDB (facts registered as a relation, the lines read from the store)."""
    checks, whole, rule_params = compile_checks(rule)
    needs_store = rule.reads_lines or (rule.rfm_maps() and rfm_frame is None)
    needs_store = needs_store or (rule.uses("value_tier") and value_frame is None)
    if con is None:
        if needs_store:
            raise ValueError("this rule reads the store: give a store connection")
        # Only the facts and the frames given: an in-memory database runs the rule, no store file opened (a
        # store connection costs the app ~70 ms, the rule itself ~10 ms on the 1M-line demo).
        with store.scratch() as memory:
            return _rule_frame(memory, facts, rule, rfm_frame=rfm_frame, value_frame=value_frame)
    if rule.rfm_maps() and rfm_frame is None:
        rfm_frame = rfm_segments(con, facts, rule.rfm_maps())
    if rule.uses("value_tier") and value_frame is None:
        value_frame = value_tiers(con, facts)
    columns = "".join(f", ({c}) as check_{i}" for i, c in enumerate(checks))
    sql = f"select facts.*{columns}, ({whole}) as matches from segment_facts_frame as facts order by facts.period_end, facts.customer_id"
    window_params = facts.window.params()
    available = {
        **{k: window_params[k] for k in WINDOW_PARAMETERS if k in window_params},
        "classic": facts.preset == "classic",
        **rule_params,
    }
    registered = {"segment_facts_frame": facts.frame}
    if rfm_frame is not None:
        registered["segment_rfm"] = rfm_frame
    if value_frame is not None:
        registered["segment_value"] = value_frame
    for name, frame in registered.items():
        con.register(name, frame)
    try:
        result = run_sql(con, sql, available, name="segment rule")
    finally:
        for name in registered:
            con.unregister(name)
    result = result.with_columns(pl.col("matches").fill_null(False))
    if rfm_frame is not None:
        for name in rule.rfm_maps():
            part = rfm_frame.filter(pl.col("map") == name).select(
                "period_end", "customer_id", pl.col("segment").alias(f"rfm_segment_{name}")
            )
            result = result.join(part, on=["period_end", "customer_id"], how="left")
    if value_frame is not None:
        result = result.join(
            value_frame.select(
                "period_end", "customer_id", pl.col("tier").alias("value_tier"), "expected_spend"
            ),
            on=["period_end", "customer_id"],
            how="left",
        )
    return result


@dataclass(frozen=True)
class Check:
    """One condition for one customer: the condition in words, the customer's value, and whether it holds."""

    condition: str
    value: str
    passed: bool

    @property
    def text(self) -> str:
        return f"{'✓' if self.passed else '✗'} {self.condition} — {self.value}"


@dataclass(frozen=True)
class SegmentResult:
    """A rule evaluated on a window: every customer with a purchase in it (``customers``: the facts, each
    condition's outcome ``check_i``, ``matches``; ``rfm_segment_<map>`` and ``value_tier`` when the rule reads
    them), and what the page, the downloads and the CLI show of them."""

    name: str  # "" for a rule not saved yet
    rule: Group
    window: Window
    preset: str
    reference_date: date | None
    customers: pl.DataFrame
    data_version: str

    @property
    def title(self) -> str:
        return self.name or "Unsaved segment"

    @property
    def members(self) -> pl.DataFrame:
        """The segment's customers: biggest spender first, ties by customer id."""
        return self.customers.filter(pl.col("matches")).sort(
            ["monetary", "customer_id"], descending=[True, False]
        )

    @property
    def count(self) -> int:
        return int(self.customers["matches"].sum()) if self.customers.height else 0

    @property
    def total(self) -> int:
        return self.customers.height

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None

    @property
    def revenue(self) -> Decimal:
        return sum(self.members["monetary"].to_list(), Decimal(0))

    @property
    def is_empty(self) -> bool:
        return self.count == 0

    def table(self) -> pl.DataFrame:
        """The members as the downloads write them: EXPORT_COLUMNS, then the RFM segment and value tier columns
        the rule reads. ``orders`` and ``spend`` are RFM's frequency and monetary; money exact (Decimal £)."""
        members = self.members
        extra = [c for c in members.columns if c.startswith("rfm_segment_")]
        if "value_tier" in members.columns:
            extra += ["value_tier"]
        # spend ÷ orders to the penny, half to even, from the exact Decimals (no intermediate rounding)
        aov = [
            (m / f).quantize(_PENNY, ROUND_HALF_EVEN)
            for m, f in zip(members["monetary"].to_list(), members["frequency"].to_list(), strict=True)
        ]
        return members.select(
            "customer_id",
            "country",
            pl.col("last_purchase").alias("last_order"),
            "recency_days",
            pl.col("frequency").alias("orders"),
            pl.col("monetary").alias("spend"),
            pl.Series("average_order_value", aov, dtype=pl.Decimal(38, 2)),
            "first_order",
            *extra,
        )

    def display_table(self) -> pl.DataFrame:
        """``table()`` with money as float pounds (the page's table formats them)."""
        return self.table().with_columns(
            pl.col("spend").cast(pl.Float64), pl.col("average_order_value").cast(pl.Float64)
        )

    def manifest(self, rows: int | None = None) -> dict[str, Any]:
        params = {
            "segment": self.name or None,
            "rule": self.rule.to_json(),
            "rule_text": self.rule.label(),
            "preset": self.preset,
        }
        return export.build_manifest(
            self.window,
            params,
            self.data_version,
            rows=self.count if rows is None else rows,
            what=f"saved segment {self.name}" if self.name else "segment (not saved)",
            reference_date=self.reference_date,
            filters={"rule": self.rule.label()},
        )

    def csv(self) -> bytes:
        return export.segment_export_csv(self.table(), self.manifest())[0]

    def manifest_json(self) -> bytes:
        return export.segment_export_csv(self.table(), self.manifest())[1]

    def xlsx(self) -> bytes:
        return export.segment_export_xlsx(self.table(), self.manifest(), sheet="customers")

    @property
    def file_stem(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", (self.name or "unsaved segment").lower()).strip("-") or "segment"
        span = f"{self.window.start}-to-{self.window.end}" if self.window.start and self.window.end else "all"
        return f"lgs-segment-{slug[:40]}-{span}"

    def customer_labels(self, limit: int | None = None) -> dict[int, str]:
        """{customer id: "12346 · France · £1,234.56 · last order 12 days ago"} for the members (spend order)."""
        members = self.members if limit is None else self.members.head(limit)
        return {
            int(r["customer_id"]): f"{r['customer_id']} · {r['country']} · {money_words(r['monetary'])} · "
            f"last order {r['recency_days']:,} days ago"
            for r in members.iter_rows(named=True)
        }

    def explain(self, customer_id: int) -> list[Check]:
        """Each condition of the rule for one customer with a purchase in the window (in the segment or not)."""
        rows = self.customers.filter(pl.col("customer_id") == customer_id)
        if rows.is_empty():
            raise LgsError(
                f"customer {customer_id} has no purchase in this window",
                where="customer id",
                todo="choose a customer from the list, or widen the date range",
            )
        row = rows.row(0, named=True)
        return [
            Check(c.label(), _value_words(c, row, bool(row[f"check_{i}"])), bool(row[f"check_{i}"]))
            for i, c in enumerate(self.rule.conditions())
        ]

    def unknown_values(self, known_countries: Sequence[str]) -> list[str]:
        """Countries the rule names that the store does not hold (say so: after a new data set, they match
        nobody)."""
        known = set(known_countries)
        return [
            str(v)
            for c in self.rule.conditions()
            if c.field == "country"
            for v in c.values
            if str(v) not in known
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "segment": self.name or None,
            "rule": self.rule.to_json(),
            "rule_text": self.rule.label(),
            "window": self.window.to_json(),
            "preset": self.preset,
            "reference_date": self.reference_date.isoformat() if self.reference_date else None,
            "customers": self.count,
            "customers_in_window": self.total,
            "revenue": round(float(self.revenue), 2),
        }


def _value_words(c: Condition, row: dict[str, Any], passed: bool) -> str:
    kind = FIELDS[c.field].kind
    if c.field == "recency_days":
        return f"last order {row['recency_days']:,} days ago ({row['last_purchase']:%d %b %Y})"
    if c.field == "orders":
        return f"{row['frequency']:,} orders"
    if c.field == "spend":
        return f"spent {money_words(row['monetary'])}"
    if c.field == "aov":
        return f"average order value {money_words((row['monetary'] / row['frequency']).quantize(_PENNY, ROUND_HALF_EVEN))}"
    if c.field == "first_order":
        return f"first order {row['first_order']:%d %b %Y}" if row["first_order"] else "no first order found"
    if c.field == "country":
        return f"country {row['country']}"
    if kind in ("products", "text"):
        bought = passed if c.op == "in" else not passed
        return "bought at least one in the date range" if bought else "bought none in the date range"
    if c.field == "rfm_segment":
        return f"segment {row.get(f'rfm_segment_{c.option}') or '(not scored)'}"
    tier = row.get("value_tier")
    spend = row.get("expected_spend")
    if tier is None:
        return "no tier (too few customers to fit the model)"
    return f"{TIER_LABELS[tier].split(' (')[0]}, expected spend {money_words(Decimal(str(round(spend or 0, 2))))} in a year"


def evaluate(
    con: duckdb.DuckDBPyConnection | None,
    facts: Facts,
    rule: Group,
    *,
    name: str = "",
    rfm_frame: pl.DataFrame | None = None,
    value_frame: pl.DataFrame | None = None,
) -> SegmentResult:
    """``rule`` on ``facts`` (one period: ``customer_facts``). ``rfm_frame`` / ``value_frame``: the RFM
    segments and value tiers of the same facts, when the caller has them (the page caches them per window);
    computed here otherwise, when the rule reads them. ``con`` None: the rule runs on the facts (and frames)
    alone, without the store, which a rule reading the lines (a product condition) cannot."""
    frame = _rule_frame(con, facts, rule, rfm_frame=rfm_frame, value_frame=value_frame)
    return SegmentResult(
        name=name,
        rule=rule,
        window=facts.window,
        preset=facts.preset,
        reference_date=facts.reference_date,
        customers=frame,
        data_version=facts.data_version,
    )


def segment_customers(
    con: duckdb.DuckDBPyConnection, window: Window, rule: Group, preset: str = "standard", *, name: str = ""
) -> SegmentResult:
    """``evaluate`` on ``customer_facts(con, window, preset)``: what the CLI and the report call."""
    return evaluate(con, customer_facts(con, window, preset), rule, name=name)


# --- over time -------------------------------------------------------------------------------------------------


def month_periods(window: Window) -> list[tuple[date, Period, bool]]:
    """Each calendar month of a resolved ``window``: (its first day, the period ending at its end or the window's,
    whether the window holds the whole month). Recency is counted to the day after the period's end."""
    if window.start is None or window.end is None:
        raise ValueError("month_periods needs a resolved window")
    start = _midnight(window.start)
    stop = _midnight(window.end + timedelta(days=1))
    found = []
    month = window.start.replace(day=1)
    while month <= window.end:
        following = (month + timedelta(days=32)).replace(day=1)
        end = min(_midnight(following), stop)
        whole = month >= window.start and following - timedelta(days=1) <= window.end
        found.append((month, Period(max(_midnight(month), start), end, end), whole))
        month = following
    return found


def _needs(
    con: duckdb.DuckDBPyConnection, facts: Facts, rules: Sequence[Group]
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """The RFM segments and value tiers ``rules`` read at ``facts``' periods, computed once for all of them."""
    maps = tuple(dict.fromkeys(m for r in rules for m in r.rfm_maps()))
    rfm_frame = rfm_segments(con, facts, maps) if maps else None
    value_frame = value_tiers(con, facts) if any(r.uses("value_tier") for r in rules) else None
    return rfm_frame, value_frame


def _sizes(
    con: duckdb.DuckDBPyConnection,
    facts: Facts,
    rule: Group,
    rfm_frame: pl.DataFrame | None,
    value_frame: pl.DataFrame | None,
) -> pl.DataFrame:
    """period_end, customers (in the segment at the period's end), revenue (their period_revenue, £)."""
    frame = _rule_frame(con, facts, rule, rfm_frame=rfm_frame, value_frame=value_frame)
    sizes = (
        frame.filter(pl.col("matches"))
        .group_by("period_end")
        .agg(pl.len().cast(pl.Int64).alias("customers"), pl.col("period_revenue").sum().alias("revenue"))
    )
    ends = pl.DataFrame(
        {"period_end": [p.end for p in facts.periods]}, schema={"period_end": pl.Datetime("us")}
    )
    return (
        ends.join(sizes, on="period_end", how="left")
        .with_columns(pl.col("customers").fill_null(0), pl.col("revenue").fill_null(Decimal(0)).cast(_MONEY))
        .sort("period_end")
    )


@dataclass(frozen=True)
class SegmentHistory:
    """A segment month by month (``months``: month, customers, revenue (Decimal £), whole_month)."""

    name: str
    rule: Group
    window: Window
    preset: str
    months: pl.DataFrame

    @property
    def is_empty(self) -> bool:
        return self.months.is_empty() or int(self.months["customers"].sum()) == 0

    def table(self) -> pl.DataFrame:
        return self.months.with_columns(pl.col("revenue").cast(pl.Float64))


def history(
    con: duckdb.DuckDBPyConnection, window: Window, rule: Group, preset: str = "standard", *, name: str = ""
) -> SegmentHistory:
    """The segment at each month's end of ``window``: its customers and their revenue in the month."""
    chosen = check_preset(preset)
    resolved = window.resolved(con)
    if resolved.start is None or resolved.end is None:  # an empty store
        empty = pl.DataFrame(
            schema={"month": pl.Date, "customers": pl.Int64, "revenue": _MONEY, "whole_month": pl.Boolean}
        )
        return SegmentHistory(name, rule, resolved, chosen, empty)
    months = month_periods(resolved)
    periods = tuple(p for _, p, _ in months)
    facts = Facts(
        resolved, chosen, periods, period_facts(con, resolved, chosen, periods), store.data_version(con)
    )
    rfm_frame, value_frame = _needs(con, facts, [rule])
    sizes = _sizes(con, facts, rule, rfm_frame, value_frame)
    frame = sizes.with_columns(
        pl.Series("month", [m for m, _, _ in months], dtype=pl.Date),
        pl.Series("whole_month", [w for _, _, w in months], dtype=pl.Boolean),
    ).select("month", "customers", "revenue", "whole_month")
    return SegmentHistory(name, rule, resolved, chosen, frame)


# --- who moved in and out: the segment at two dates ------------------------------------------------------------

IN_STATE = "In the segment"
OUT_STATE = "Not in the segment"
NEW_STATE = "New"


@dataclass(frozen=True)
class SegmentMigration(Migration):
    """Who was in the segment at the first date and who is at the second, as a transition (the Deeper
    segments page's migration view): from New / In / Not in, to In / Not in. ``customers``: every customer
    scored at the second date (lgs_core.analyses.migration's columns; the segments are the states)."""

    segment_name: str = ""
    rule: Group = Group()

    @property
    def joined(self) -> int:
        """Customers in the segment at the second date who were not at the first (new customers included)."""
        return self.customers.filter(
            (pl.col("from_state") != IN_STATE) & (pl.col("to_state") == IN_STATE)
        ).height

    @property
    def left(self) -> int:
        return self.customers.filter(
            (pl.col("from_state") == IN_STATE) & (pl.col("to_state") == OUT_STATE)
        ).height

    @property
    def stayed(self) -> int:
        return self.customers.filter(
            (pl.col("from_state") == IN_STATE) & (pl.col("to_state") == IN_STATE)
        ).height

    def manifest(
        self, table: pl.DataFrame, what: str, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        params = {
            "segment": self.segment_name or None,
            "rule": self.rule.to_json(),
            "rule_text": self.rule.label(),
            "preset": self.params.preset,
            "from_date": self.from_date.isoformat(),
            "to_date": self.to_date.isoformat(),
        }
        return export.build_manifest(
            self.window, params, self.data_version, rows=table.height, what=what, filters=filters
        )


def segment_migration(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    rule: Group,
    from_date: date,
    to_date: date,
    preset: str = "standard",
    *,
    name: str = "",
) -> SegmentMigration:
    """The rule evaluated at ``from_date`` and ``to_date`` (each: the window's start to the day before it,
    recency counted to it, as lgs_core.analyses.migration scores RFM) and where each customer went."""
    chosen = check_preset(preset)
    resolved = window.resolved(con)
    _, second_window = reference_windows(resolved, from_date, to_date)
    start = _midnight(resolved.start) if resolved.start else datetime(1900, 1, 1)
    periods = tuple(Period(start, _midnight(d), _midnight(d)) for d in (from_date, to_date))
    facts = Facts(
        second_window,
        chosen,
        periods,
        period_facts(con, second_window, chosen, periods),
        store.data_version(con),
    )
    rfm_frame, value_frame = _needs(con, facts, [rule])
    frame = _rule_frame(con, facts, rule, rfm_frame=rfm_frame, value_frame=value_frame)
    first = frame.filter(pl.col("period_end") == periods[0].end).select(
        "customer_id",
        pl.when(pl.col("matches")).then(pl.lit(IN_STATE)).otherwise(pl.lit(OUT_STATE)).alias("from_segment"),
        pl.col("recency_days").alias("from_recency_days"),
        pl.col("frequency").alias("from_frequency"),
        pl.col("monetary").alias("from_monetary"),
    )
    second = frame.filter(pl.col("period_end") == periods[1].end)
    first_day = _midnight(from_date)
    customers = (
        second.join(first, on="customer_id", how="left")
        .select(
            "customer_id",
            "country",
            pl.col("from_segment").fill_null(pl.lit(NEW_STATE)).alias("from_state"),
            pl.when(pl.col("matches")).then(pl.lit(IN_STATE)).otherwise(pl.lit(OUT_STATE)).alias("to_state"),
            "from_segment",
            pl.when(pl.col("matches"))
            .then(pl.lit(IN_STATE))
            .otherwise(pl.lit(OUT_STATE))
            .alias("to_segment"),
            (pl.col("from_segment").is_not_null() & (pl.col("last_purchase") < first_day)).alias("lapsed"),
            pl.lit(None, pl.String).alias("from_rfm"),
            pl.lit(None, pl.String).alias("to_rfm"),
            "from_recency_days",
            pl.col("recency_days").alias("to_recency_days"),
            "from_frequency",
            pl.col("frequency").alias("to_frequency"),
            "from_monetary",
            pl.col("monetary").alias("to_monetary"),
            "first_purchase",
            "last_purchase",
        )
        .sort("customer_id")
    )
    return SegmentMigration(
        window=resolved,
        params=RfmParams(preset=chosen),
        from_date=from_date,
        to_date=to_date,
        lapsed_as_state=False,
        customers=customers,
        from_states=(NEW_STATE, IN_STATE, OUT_STATE),
        to_states=(IN_STATE, OUT_STATE),
        from_customers=first.height,
        to_customers=second.height,
        data_version=facts.data_version,
        segment_name=name,
        rule=rule,
    )


def default_migration_dates(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[date, date]:
    """The migration view's default dates (lgs_core.analyses.migration's): a year apart, ending the day after the window."""
    return default_reference_dates(con, window)


# --- the weekly report: saved segments whose size moved unusually -----------------------------------------------

# How many weeks of sizes the detector gets: the report's week, its 12 trailing trading weeks and the same
# ISO week last year with its own trailing weeks, plus a margin for closed weeks (Christmas).
REPORT_HISTORY_WEEKS = 70


@dataclass(frozen=True)
class SegmentMove:
    """A saved segment's size in the report's week, judged (lgs_core.analyses.anomaly, metric segment_customers)."""

    name: str
    rule_text: str
    assessment: Any  # anomaly.Assessment

    @property
    def flagged(self) -> bool:
        return bool(self.assessment.flagged)

    def text(self, name: Callable[[str], str] = str) -> str:
        """E.g. "▲ France VIP: Customers in the segment 41, expected 12–25 (median 18), …"; ``name`` writes
        the segment's name (Markdown: as literal text)."""
        a = self.assessment
        arrow = {"spike": "▲ ", "dip": "▼ "}.get(a.status, "")
        return f"{arrow}{name(self.name)}: {a.explanation()}"

    @property
    def size_text(self) -> str:
        return f"{int(self.assessment.value):,}"

    @property
    def expected_text(self) -> str:
        a = self.assessment
        if a.low is None or a.high is None:
            return "–"
        return f"{round(a.low):,}–{round(a.high):,} (median {round(a.median or 0):,})"

    @property
    def status_text(self) -> str:
        a = self.assessment
        words = {"spike": "spike", "dip": "dip", "watch": "watch (not flagged)", "normal": "as usual"}
        return f"{words.get(a.status, a.status.replace('_', ' '))}: {a.reason}"

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.name, "rule_text": self.rule_text, **self.assessment.to_json()}


def weekly_sizes(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    segments: Sequence[SavedSegment],
    week_starts: Sequence[date],
    preset: str = "standard",
) -> dict[str, pl.DataFrame]:
    """Each saved segment's customers at the end of each week (week_start, customers): the rule evaluated on the
    window's purchases up to the Sunday, recency counted to the Monday after."""
    resolved = window.resolved(con)
    if not segments or not week_starts or resolved.start is None:
        return {}
    start = _midnight(resolved.start)
    periods = tuple(
        Period(start, _midnight(w + timedelta(days=7)), _midnight(w + timedelta(days=7))) for w in week_starts
    )
    facts = Facts(
        resolved,
        check_preset(preset),
        periods,
        period_facts(con, resolved, preset, periods),
        store.data_version(con),
    )
    rfm_frame, value_frame = _needs(con, facts, [s.rule for s in segments])
    found = {}
    for segment in segments:
        sizes = _sizes(con, facts, segment.rule, rfm_frame, value_frame)
        found[segment.name] = sizes.select(
            pl.Series("week_start", list(week_starts), dtype=pl.Date), "customers"
        )
    return found


def judged_weeks(weeks: pl.DataFrame, settings: Any = None) -> list[date]:
    """The weeks (Mondays) whose sizes the detector reads to judge the last week of ``weeks``: that week, its
    trailing trading weeks, and the same ISO week last year with its own (lgs_core.analyses.anomaly's rule). The weeks
    between are never read for the last week's assessment, so they need no evaluation."""
    from lgs_core.analyses import anomaly

    chosen = settings or anomaly.DetectorSettings()
    rows = weeks.sort("week_start").select("week_start", "iso_year", "iso_week", "trading").rows()
    if not rows:
        return []
    needed: set[date] = set()

    def with_baseline(i: int) -> None:
        needed.add(rows[i][0])
        found = 0
        for j in range(i - 1, -1, -1):
            if found == chosen.trailing_weeks:
                break
            if rows[j][3]:
                needed.add(rows[j][0])
                found += 1

    last = len(rows) - 1
    with_baseline(last)
    by_iso = {(int(r[1]), int(r[2])): i for i, r in enumerate(rows)}
    week = anomaly._Week(rows[last][0], int(rows[last][1]), int(rows[last][2]), bool(rows[last][3]), 0)
    ly = anomaly._last_year_index(by_iso, week)  # the detector's own "same week last year"
    if ly is not None:
        with_baseline(ly)
    return sorted(needed)


def size_moves(
    con: duckdb.DuckDBPyConnection,
    weeks: pl.DataFrame,
    window: Window,
    settings: Any = None,
) -> tuple[SegmentMove, ...]:
    """Every saved segment's size in the last week of ``weeks`` (the report's weekly table: week_start,
    iso_year, iso_week, trading), judged against its own past weeks by the report's detector. Segments whose
    size moved unusually come first (spikes and dips), then the rest (normal, watch, too early).

    Only the weeks the detector reads for that week are evaluated (``judged_weeks``: about 26 of the 70 since
    last year's same week): the others stand at 0 in the series, where nothing reads them."""
    from lgs_core.analyses import anomaly

    segments = list_segments(con)
    if not segments or weeks.is_empty():
        return ()
    recent = weeks.sort("week_start").tail(REPORT_HISTORY_WEEKS)
    needed = judged_weeks(recent, settings)
    sizes = weekly_sizes(con, window, segments, needed)
    moves = []
    for segment in segments:
        table = (
            recent.select("week_start", "iso_year", "iso_week", "trading")
            .filter(pl.col("week_start") >= needed[0])
            .join(
                sizes[segment.name].rename({"customers": anomaly.SEGMENT_CUSTOMERS.key}),
                on="week_start",
                how="left",
            )
            .with_columns(pl.col(anomaly.SEGMENT_CUSTOMERS.key).fill_null(0))
            .sort("week_start")
        )
        judged = anomaly.detect(table, anomaly.SEGMENT_CUSTOMERS.key, settings)[-1]
        moves.append(SegmentMove(segment.name, segment.rule.label(), judged))
    return tuple(sorted(moves, key=lambda m: (not m.flagged, m.name.lower())))
