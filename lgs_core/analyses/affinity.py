"""Product affinity by segment (issue #9; docs/SEGMENTATION.md "Product affinity").

For one RFM segment of a window: which products reach its customers, against all scored customers (reach,
base reach, lift), and which products its invoices hold together (association rules A → B with support,
confidence and lift), counted in SQL with a self-join on invoice (``sql/segments/affinity_pairs.sql``),
limited to products frequent enough to form a pair above the support threshold (Apriori's pruning).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from lgs_core import glossary
from lgs_core.analyses import export
from lgs_core.analyses.rfm import RfmParams, rfm
from lgs_core.errors import LgsError
from lgs_core.query.run import run
from lgs_core.query.window import Window
from lgs_core.store import store

DEFINITIONS: dict[str, str] = glossary.section("affinity")  # docs/DEFINITIONS.md


@dataclass(frozen=True)
class AffinityOptions:
    """How much to list: the ``top_products`` products, the ``top_pairs`` rules by lift; a pair must be on at
    least max(``min_invoices``, ⌈``min_support`` × the segment's invoices⌉) invoices; pairs are counted among
    at most ``max_products`` products (those on the most invoices)."""

    top_products: int = 20
    top_pairs: int = 50
    min_support: float = 0.01
    min_invoices: int = 3
    max_products: int = 500

    def __post_init__(self) -> None:
        checks = (
            (1 <= self.top_products <= 10_000, "top products", "list 1 to 10,000 products"),
            (1 <= self.top_pairs <= 10_000, "top pairs", "list 1 to 10,000 pairs"),
            (
                0 <= self.min_support <= 1,
                "minimum support",
                "give a share of invoices from 0 to 1, e.g. 0.01",
            ),
            (self.min_invoices >= 1, "minimum invoices", "give at least 1 invoice"),
            (2 <= self.max_products <= 5_000, "maximum products", "count pairs among 2 to 5,000 products"),
        )
        for ok, where, todo in checks:
            if not ok:
                raise LgsError(f"{where} out of range", where=where, todo=todo)

    def threshold(self, segment_invoices: int) -> int:
        return max(self.min_invoices, math.ceil(self.min_support * segment_invoices))

    def to_json(self) -> dict[str, Any]:
        return {
            "top_products": self.top_products,
            "top_pairs": self.top_pairs,
            "min_support": self.min_support,
            "min_invoices": self.min_invoices,
            "max_products": self.max_products,
        }


_PRODUCT_SCHEMA: dict[str, Any] = {
    "stock_code": pl.String,
    "description": pl.String,
    "segment_customers": pl.Int64,
    "all_customers": pl.Int64,
    "reach": pl.Float64,
    "base_reach": pl.Float64,
    "lift": pl.Float64,
    "segment_invoices": pl.Int64,
    "segment_revenue": pl.Decimal(38, 3),
}
_PAIR_SCHEMA: dict[str, Any] = {
    "antecedent": pl.String,
    "antecedent_description": pl.String,
    "consequent": pl.String,
    "consequent_description": pl.String,
    "invoices_both": pl.Int64,
    "antecedent_invoices": pl.Int64,
    "consequent_invoices": pl.Int64,
    "segment_invoices": pl.Int64,
    "support": pl.Float64,
    "confidence": pl.Float64,
    "lift": pl.Float64,
}


@dataclass(frozen=True)
class Affinity:
    """One segment's products (``products``: stock_code, description, segment_customers, all_customers,
    reach, base_reach, lift, segment_invoices, segment_revenue £; most segment customers first) and pairs
    (``pairs``: antecedent, consequent and their descriptions, invoices_both, antecedent_invoices,
    consequent_invoices, segment_invoices, support, confidence, lift; highest lift first)."""

    window: Window
    params: RfmParams
    options: AffinityOptions
    segment: str
    reference_date: date | None
    segment_customers: int
    all_customers: int
    segment_invoices: int
    segment_products: int
    min_invoices: int
    products: pl.DataFrame
    pairs: pl.DataFrame
    cut_points: Any = None  # the RFM cut points that made the segment
    data_version: str = ""

    @property
    def is_empty(self) -> bool:
        return self.segment_customers == 0

    def manifest(self, table: pl.DataFrame, what: str) -> dict[str, Any]:
        """The manifest of an exported ``table`` (products or pairs): RFM parameters, options, cut points."""
        return export.build_manifest(
            self.window,
            {**self.params.to_json(), **self.options.to_json()},
            self.data_version,
            rows=table.height,
            what=what,
            reference_date=self.reference_date,
            cut_points=self.cut_points,
            filters={"segment": [self.segment]},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "parameters": self.params.to_json(),
            "options": self.options.to_json(),
            "segment": self.segment,
            "reference_date": self.reference_date.isoformat() if self.reference_date else None,
            "segment_customers": self.segment_customers,
            "all_customers": self.all_customers,
            "segment_invoices": self.segment_invoices,
            "segment_products": self.segment_products,
            "min_invoices": self.min_invoices,
        }


def check_segment(name: str, segments: tuple[str, ...]) -> str:
    """``name`` as the map spells it (case and surrounding spaces forgiven), or an LgsError listing them."""
    wanted = name.strip().casefold()
    for known in segments:
        if known.casefold() == wanted:
            return known
    raise LgsError(
        f"no segment named {name!r} in this segment map",
        where="segment",
        todo=f"use one of: {', '.join(segments)}",
    )


def affinity(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    segment: str,
    params: RfmParams | None = None,
    options: AffinityOptions | None = None,
) -> Affinity:
    """The products and product pairs of one RFM ``segment`` of ``window`` (scored with ``params``)."""
    params = params or RfmParams()
    options = options or AffinityOptions()
    name = check_segment(segment, params.segments.segments)
    scored = rfm(con, window, params)
    ids = scored.customers.filter(pl.col("segment") == name)["customer_id"].to_list()
    base = {**window.params(con), "segment_customers": ids}
    baskets = run(con, "segments/affinity_baskets", base).row(0, named=True)
    segment_invoices = int(baskets["segment_invoices"])
    threshold = options.threshold(segment_invoices)
    if ids:
        products = run(
            con,
            "segments/affinity_products",
            {
                **base,
                "segment_size": len(ids),
                "all_size": scored.customers.height,
                "top": options.top_products,
            },
        )
        pairs = run(
            con,
            "segments/affinity_pairs",
            {
                **base,
                "min_invoices": threshold,
                "max_products": options.max_products,
                "top": options.top_pairs,
            },
        )
    else:
        products, pairs = pl.DataFrame(schema=_PRODUCT_SCHEMA), pl.DataFrame(schema=_PAIR_SCHEMA)
    products = (
        products.cast(_PRODUCT_SCHEMA)  # type: ignore[arg-type]
        .select(list(_PRODUCT_SCHEMA))
        .sort(["segment_customers", "lift", "stock_code"], descending=[True, True, False])
    )
    pairs = (
        pairs.cast(_PAIR_SCHEMA)  # type: ignore[arg-type]
        .select(list(_PAIR_SCHEMA))
        .sort(["lift", "invoices_both", "antecedent", "consequent"], descending=[True, True, False, False])
    )
    return Affinity(
        window=window,
        params=params,
        options=options,
        segment=name,
        reference_date=scored.reference_date,
        segment_customers=len(ids),
        all_customers=scored.customers.height,
        segment_invoices=segment_invoices,
        segment_products=int(baskets["products"]),
        min_invoices=threshold,
        products=products,
        pairs=pairs,
        cut_points=scored.cut_points,
        data_version=store.data_version(con),
    )
