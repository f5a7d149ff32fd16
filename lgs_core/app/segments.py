"""The Customer segments page's model: the scored customers, their segments, the R × F grid, the customer
list and its downloads. ``segments(con, window, params)`` is the page's one call; a chosen customer's invoices
``customer_invoices(con, window, customer_id)``; the downloads ``segment_csv`` / ``segment_xlsx`` /
``segment_manifest`` export a ``Segments`` result (no database). Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb
import polars as pl

from lgs_core.analyses import export
from lgs_core.analyses.export import export_file_stem, file_stem, rule_slug
from lgs_core.analyses.rfm import CustomerRule, RfmParams, RfmResult, rfm
from lgs_core.app.figures import resolve, run_view
from lgs_core.present.text import column_labels, money_text, words
from lgs_core.query.window import Window
from lgs_core.store import store

EXPORT_COLUMNS = (
    "customer_id",
    "country",
    "segment",
    "rfm",
    "r",
    "f",
    "m",
    "fm",
    "recency_days",
    "frequency",
    "monetary",
    "first_purchase",
    "last_purchase",
)
# The on-screen customer list: who, then what a marketer reads first (recency, orders, spend), scores last.
DISPLAY_COLUMNS = (
    "customer_id",
    "country",
    "segment",
    "recency_days",
    "frequency",
    "monetary",
    "last_purchase",
    "first_purchase",
    "r",
    "f",
    "m",
    "fm",
    "rfm",
)


@dataclass(frozen=True)
class Segments:
    """The Customer segments page: the scored customers, their segments, the R × F grid, and what an
    export needs to reproduce itself (the store's data version)."""

    result: RfmResult
    summary: pl.DataFrame
    grid: pl.DataFrame
    data_version: str
    window: Window = field(repr=False)

    @property
    def customers(self) -> pl.DataFrame:
        return self.result.customers

    @property
    def segment_map_name(self) -> str:
        return self.result.segment_map.name

    @property
    def segment_names(self) -> tuple[str, ...]:
        return self.result.segment_map.segments

    @property
    def is_empty(self) -> bool:
        return self.customers.is_empty()

    def customers_of(self, chosen: Sequence[str]) -> pl.DataFrame:
        """The customers of the chosen segments: the map's segment order, then biggest spender first."""
        order = {name: i for i, name in enumerate(self.segment_names)}
        picked = self.customers.filter(pl.col("segment").is_in(list(chosen)))
        return (
            picked.with_columns(pl.col("segment").replace_strict(order, return_dtype=pl.Int32).alias("_o"))
            .sort(["_o", "monetary", "customer_id"], descending=[False, True, False])
            .drop("_o")
            .select(EXPORT_COLUMNS)
        )

    def cut_point_lines(self) -> list[str]:
        """One line per dimension: its cut points as the scores use them."""
        cp = self.result.cut_points
        lines = []
        for name, dims in (("R", cp.recency), ("F", cp.frequency), ("M", cp.monetary)):
            unit = {"R": " days", "F": " invoices", "M": ""}[name]
            on = " (on the rank)" if dims.on == "rank" else ""
            values = ", ".join(
                money_text(Decimal(c.numerator) / Decimal(c.denominator), pence=True)
                if name == "M"
                else f"{float(c):,.4g}"
                for c in dims.cuts
            )
            lines.append(f"{name}: {values or 'none'}{unit if values and name != 'M' else ''}{on}")
        return lines

    def explain(self, customer_id: int) -> list[str]:
        return self.result.explain(customer_id)

    def score_ranges(self) -> dict[str, list[tuple[int, str]]]:
        """What each score means in this scoring, in words, top score first: {"recency": [(5, "0–24 days"),
        …], "frequency": [(5, "10 or more orders"), …], "monetary": [(5, "over £3,880.09"), …]}. A score
        no customer can get (cut points that coincide) reads "none"."""
        cp = self.result.cut_points
        out: dict[str, list[tuple[int, str]]] = {}
        for dim in (cp.recency, cp.frequency, cp.monetary):
            if dim.on == "rank":
                out[dim.dimension] = [
                    (s, "by rank of orders (ties by customer number)") for s in range(dim.bins, 0, -1)
                ]
                continue
            bounds: list[Fraction | None] = [None, *dim.cuts, None]
            ranges = []
            for i in range(dim.bins):  # value bin i (lowest values first) between bounds[i] and bounds[i + 1]
                score = dim.bins - i if dim.reversed else i + 1
                ranges.append((score, _range_text(dim.dimension, bounds[i], bounds[i + 1], dim.at_least)))
            out[dim.dimension] = sorted(ranges, reverse=True)
        return out

    def explain_plain(self, customer_id: int) -> list[str]:
        """Why a customer is in their segment, in words: their last order, orders and spend, each with the
        score it gives and that score's range, then the cell of the map. (``explain``: the cut points.)"""
        rows = self.customers.filter(pl.col("customer_id") == customer_id)
        if rows.is_empty():
            return [f"Customer {customer_id} has no purchase in this date range."]
        row = rows.row(0, named=True)
        ranges = {dim: dict(items) for dim, items in self.score_ranges().items()}
        days = row["recency_days"]
        reference = self.reference_text
        lines = [
            f"Last order {row['last_purchase']:%d %b %Y}, {days:,} day{'s' if days != 1 else ''} before the "
            f"reference date ({reference}): recency score {row['r']} ({ranges['recency'][row['r']]}).",
            f"{row['frequency']:,} order{'s' if row['frequency'] != 1 else ''}: frequency score {row['f']} "
            f"({ranges['frequency'][row['f']]}).",
            f"Spent {money_text(row['monetary'], pence=True)}: spend score {row['m']} "
            f"({ranges['monetary'][row['m']]}).",
        ]
        segment_map = self.result.segment_map
        if segment_map.axis == "fm":
            lines.append(
                f"Recency {row['r']} and frequency-and-spend {row['fm']} → {row['segment']} ({segment_map.name})."
            )
        else:
            lines.append(
                f"Recency {row['r']} and frequency {row['f']} → {row['segment']} ({segment_map.name})."
            )
        return lines

    @property
    def reference_text(self) -> str:
        ref = self.result.reference_date
        return "–" if ref is None else f"{ref:%d %b %Y}"

    def summary_table(self) -> pl.DataFrame:
        """The segment summary as the page shows it: money as float pounds (the table formats them)."""
        return self.summary.with_columns(
            pl.col("revenue").cast(pl.Float64), pl.col("mean_monetary").cast(pl.Float64)
        )

    def customers_matching(self, rule: CustomerRule) -> pl.DataFrame:
        """The customers a rule in words picks ("last order within 30 days, at least 10 orders"), whatever
        their segment: biggest spender first (EXPORT_COLUMNS)."""
        picked = rule.matches(self.customers)
        return picked.sort(["monetary", "customer_id"], descending=[True, False]).select(EXPORT_COLUMNS)

    def listed(self, chosen: Sequence[str] | CustomerRule) -> pl.DataFrame:
        """The customer list of the page: the chosen segments' customers, or a rule's."""
        if isinstance(chosen, CustomerRule):
            return self.customers_matching(chosen)
        return self.customers_of(chosen)

    def customer_table(self, chosen: Sequence[str] | CustomerRule) -> pl.DataFrame:
        """``listed(chosen)`` as the page shows it: headers in words, recency, orders and spend first, money as
        float pounds. The FM score only when the segment map reads it (rfm11): beside classic10 it decides
        nothing and would only puzzle. Exports keep every column (EXPORT_COLUMNS)."""
        table = self.listed(chosen).with_columns(pl.col("monetary").cast(pl.Float64))
        shown = [c for c in DISPLAY_COLUMNS if c != "fm" or self.result.segment_map.axis == "fm"]
        return words(table.select(shown))

    def default_segments(self) -> list[str]:
        """What the customer list starts with: Champions when the map has them, else its first segment
        with customers."""
        counts = dict(
            zip(self.summary["segment"].to_list(), self.summary["customers"].to_list(), strict=True)
        )
        for name in ("Champions",):
            if name in counts:
                return [name]
        with_customers = [s for s in self.segment_names if counts.get(s, 0) > 0]
        return with_customers[:1] or list(self.segment_names[:1])

    def customer_labels(self, chosen: Sequence[str] | CustomerRule) -> dict[int, str]:
        """{customer id: "12346 · France · Champions · £1,234.56"} for the list's customers (``listed``), in
        its order. Each label starts with the id, so typing an id finds it (the page filters on the start)."""
        return {
            int(row["customer_id"]): self._label(row) for row in self.listed(chosen).iter_rows(named=True)
        }

    def customer_label(self, customer_id: int) -> str | None:
        """The label of any scored customer (one typed in, not on the list); None: not scored here."""
        rows = self.customers.filter(pl.col("customer_id") == customer_id)
        return None if rows.is_empty() else self._label(rows.row(0, named=True))

    @staticmethod
    def _label(row: Mapping[str, Any]) -> str:
        return (
            f"{row['customer_id']} · {row['country']} · {row['segment']} · "
            f"{money_text(row['monetary'], pence=True)}"
        )

    def list_name(self, chosen: Sequence[str] | CustomerRule) -> str:
        """What the list is, in words: "Champions, At Risk" or "last order within 30 days, at least 10 orders"."""
        if isinstance(chosen, CustomerRule):
            return chosen.describe(self.result.reference_date)
        return ", ".join(chosen)

    def file_stem(self, chosen: Sequence[str] | CustomerRule) -> str:
        """The list's download name: what, the countries, the dates ("lgs-champions-france-2011-…")."""
        if isinstance(chosen, CustomerRule):
            return file_stem(rule_slug(chosen), self.window)
        return export_file_stem(self.window, chosen)

    def manifest(self, chosen: Sequence[str] | CustomerRule, rows: int) -> dict[str, Any]:
        if isinstance(chosen, CustomerRule):
            what = "customers: " + chosen.describe(self.result.reference_date)
            filters: dict[str, Any] = {"rule": chosen.to_json()}
        else:
            what = "rfm customers of segments " + ", ".join(chosen)
            filters = {"segment": list(chosen)}
        return export.build_manifest(
            self.window,
            self.result.params,
            self.data_version,
            rows=rows,
            what=what,
            reference_date=self.result.reference_date,
            cut_points=self.result.cut_points,
            filters=filters,
        )


def _range_text(dimension: str, low: Fraction | None, high: Fraction | None, at_least: bool) -> str:
    """The values between two cut points in words. Under the plain rule a bin holds (low, high]; under
    thresholds (``at_least``) [low, high). Days and orders are whole numbers; money has pence."""
    if dimension == "monetary":

        def pounds(v: Fraction) -> str:
            return money_text(Decimal(v.numerator) / Decimal(v.denominator), pence=True)

        if at_least:
            if low is None:
                return f"under {pounds(high)}" if high is not None else "any amount"
            return f"{pounds(low)} or more" if high is None else f"{pounds(low)} up to under {pounds(high)}"
        if low is None:
            return f"{pounds(high)} or less" if high is not None else "any amount"
        return f"over {pounds(low)}" if high is None else f"over {pounds(low)} up to {pounds(high)}"
    # whole numbers: (low, high] is floor(low) + 1 .. floor(high); [low, high) is ceil(low) .. ceil(high) − 1
    if at_least:
        first = math.ceil(low) if low is not None else None
        last = math.ceil(high) - 1 if high is not None else None
    else:
        first = math.floor(low) + 1 if low is not None else None
        last = math.floor(high) if high is not None else None
    unit = "days" if dimension == "recency" else "orders"
    floor = 0 if dimension == "recency" else 1
    first = max(first if first is not None else floor, floor)
    if last is None:
        return f"{first:,} or more {unit}"
    if last < first:
        return "none"
    if last == first:
        one = unit[:-1] if first == 1 else unit
        return f"{first:,} {one}"
    return f"{first:,}–{last:,} {unit}"


def segments(con: duckdb.DuckDBPyConnection, window: Window, params: RfmParams | None = None) -> Segments:
    """Score every customer with a purchase in the window (lgs_core.analyses.rfm) and summarise the segments."""
    resolved, _, _ = resolve(con, window)
    result = rfm(con, resolved, params or RfmParams())
    return Segments(
        result=result,
        summary=result.summary(),
        grid=result.grid(),
        data_version=store.data_version(con),
        window=resolved,
    )


# The app's downloads are for people: the CSV's and the workbook's header row is in words ("Days since last
# order", "Spend (£)"), as a marketer opening the file in a spreadsheet expects. A script reads the manifest:
# its "columns" are the stable keys (customer_id, recency_days, …, as `lgs rfm` writes them) in the file's
# order, and "column_labels" maps each key to its header. docs/DEFINITIONS.md (Exports) says so.
def segment_csv(seg: Segments, chosen: Sequence[str] | CustomerRule) -> bytes:
    """The list's customers (the chosen segments', or a rule's) as CSV (formulas neutralised)."""
    table = seg.listed(chosen)
    data, _ = export.segment_export_csv(
        table, seg.manifest(chosen, table.height), labels=column_labels(table.columns)
    )
    return data


def segment_manifest(seg: Segments, chosen: Sequence[str] | CustomerRule) -> bytes:
    """The manifest (JSON) that pairs with ``segment_csv``'s file (it carries the CSV's SHA-256)."""
    table = seg.listed(chosen)
    _, manifest = export.segment_export_csv(
        table, seg.manifest(chosen, table.height), labels=column_labels(table.columns)
    )
    return manifest


def segment_xlsx(seg: Segments, chosen: Sequence[str] | CustomerRule) -> bytes:
    """The list's customers as an .xlsx workbook with a "manifest" sheet."""
    table = seg.listed(chosen)
    return export.segment_export_xlsx(
        table, seg.manifest(chosen, table.height), labels=column_labels(table.columns)
    )


def customer_invoices(con: duckdb.DuckDBPyConnection, window: Window, customer_id: int) -> pl.DataFrame:
    """One customer's invoices in the window, oldest first: invoice, invoice_date, kind (order,
    cancellation, adjustment), country, lines, items, amount (Decimal £)."""
    resolved, _, _ = resolve(con, window)
    frame = run_view(con, "customer_invoices", {**resolved.params(con), "customer_id": int(customer_id)})
    return frame.sort("invoice_date", "invoice")
