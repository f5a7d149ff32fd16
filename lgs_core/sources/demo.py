"""Demo data: a deterministic, realistic stand-in for London Gift Shop's transactions.

A new user with no database gets this, so it is shaped like the real data set (DOMAIN.md §1):
about 20 lines per invoice, one customer per about 180 lines with heavy-tailed repeat buying and churn,
about a quarter of the lines without a customer (guest invoices, which are larger), cancellations that copy
lines of an earlier invoice of the same customer, a few bad-debt adjustments, stock corrections,
the non-product stock codes, United Kingdom about 90% of the lines among 43 countries, a November peak,
no Saturdays and business hours.

Everything is vectorised numpy/polars: no Python object per line. Same seed, same frame.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from lgs_core.errors import LgsError
from lgs_core.store.access import Action, Principal, acting
from lgs_core.store.store import LoadResult, connect, insert_staged_lines
from lgs_core.store.write import write_data_set

DEMO_START = date(2009, 12, 1)
DEMO_END = date(2011, 12, 9)
# Invoice numbers, customer ids and the product catalogue stay 6 / 5 / 5 digits up to this size.
MAX_ROWS = 15_000_000

# Bump when the generator's output changes: the fingerprint (and so the load log) tells versions apart.
_GENERATOR_VERSION = 1

_FIRST_INVOICE = 489434  # the real data set's first invoice number
_LINES_PER_CUSTOMER = 180  # DOMAIN.md §1: 1,067,371 lines / 5,942 customers
_N_PRODUCTS = 4_000

# Shares of all lines by kind (the real data set: 22.8% of lines have no customer, ~1.8% are cancellations).
_GUEST_LINE_SHARE = 0.225  # lines of guest (no customer) sales invoices
_CORRECTION_LINE_SHARE = 0.003  # stock corrections: negative quantity, price 0, no customer
_CANCELLED_LINE_SHARE = 0.019  # lines of C invoices of customers
_AMAZON_FEE_LINE_SHARE = 0.00004  # AMAZONFEE: one-line C invoices without a customer
_ADJUSTMENT_LINE_SHARE = 0.000006  # bad-debt adjustments: one-line A invoices (6 in the real set)

# Mean lines per invoice by kind. Cancellations are small (median 1 line, mean ~2.5 in the real sample),
# so ~15% of invoices are C invoices while only ~2% of the lines are: the real data set's proportions.
_LINES_PER_CUSTOMER_INVOICE = 21
_LINES_PER_GUEST_INVOICE = 55
_LINES_PER_CANCELLATION = 2.4

# Line counts per invoice are 1 + a share of the rest proportional to a lognormal weight (heavy tail).
_CUSTOMER_BASKET_SIGMA = 0.5  # between customers
_INVOICE_BASKET_SIGMA = 0.6  # between a customer's invoices
_GUEST_BASKET_SIGMA = 1.0  # dotcom guest orders: some of several hundred lines
_CANCELLATION_SIGMA = 1.3

# Customers: how they arrive, how often they buy, when they stop.
_EXISTING_CUSTOMER_SHARE = 0.16  # "new" in the first month only because the data starts there (real: ~16%)
_ONE_OFF_SHARE = 0.10  # never come back
_RATE_SIGMA = 1.0  # lognormal purchase rate: many occasional buyers, a few buying 50+ times
_MEAN_LIFETIME_DAYS = 600.0  # exponential churn, for a customer of median purchase rate
_LOYALTY_ELASTICITY = 0.7  # lifetime grows with the purchase rate (rate ** 0.7)
_WHOLESALE_SHARE_UK = 0.12
_WHOLESALE_SHARE_ABROAD = 0.35

# Seasonality: relative lines per open day by month (January first); November ~1.8x the monthly mean.
_MONTH_WEIGHT = np.array([0.75, 0.72, 0.95, 0.80, 0.92, 0.92, 0.88, 0.88, 1.25, 1.40, 1.85, 1.15])
# Monday first. The real data set has no Saturday invoices.
_WEEKDAY_WEIGHT = np.array([1.0, 1.15, 1.1, 1.3, 0.85, 0.0, 0.7])
# Invoices per hour of the day, 07:00 to 19:59 (shape of the real sample).
_HOUR_WEIGHT = np.array([1.0, 4.0, 9.0, 13.0, 12.0, 15.0, 14.0, 12.0, 10.0, 6.0, 3.0, 1.5, 1.0])
_FIRST_HOUR = 7
_CLOSING_MINUTE = 20 * 60
# Share of a month's product lines drawn from the Christmas range (January first).
_CHRISTMAS_SHARE = np.array([0.01, 0.005, 0.005, 0.005, 0.01, 0.02, 0.05, 0.09, 0.16, 0.22, 0.24, 0.12])

# Countries: (name, customers, lines with a customer) in the real data set (approximate).
# A country keeps its share of the customer invoices however many customers it gets, so EIRE's handful
# of wholesalers buy as much as they do in the real data. Hong Kong appears only on guest invoices.
_COUNTRIES: tuple[tuple[str, int, int], ...] = (
    ("United Kingdom", 5410, 743_000),
    ("Germany", 107, 17_600),
    ("France", 95, 14_300),
    ("EIRE", 5, 17_900),
    ("Netherlands", 22, 5_100),
    ("Spain", 41, 3_800),
    ("Belgium", 29, 3_100),
    ("Switzerland", 22, 3_200),
    ("Portugal", 24, 2_600),
    ("Australia", 15, 1_900),
    ("Norway", 13, 1_500),
    ("Italy", 17, 1_500),
    ("Channel Islands", 10, 1_700),
    ("Finland", 15, 1_000),
    ("Cyprus", 11, 1_200),
    ("Sweden", 19, 1_400),
    ("Unspecified", 9, 750),
    ("Austria", 13, 940),
    ("Denmark", 12, 820),
    ("Japan", 10, 580),
    ("Poland", 7, 530),
    ("Israel", 4, 370),
    ("USA", 6, 650),
    ("Hong Kong", 0, 0),
    ("Singapore", 1, 350),
    ("Iceland", 1, 250),
    ("Canada", 4, 230),
    ("Greece", 5, 660),
    ("Malta", 2, 300),
    ("United Arab Emirates", 2, 500),
    ("European Community", 1, 60),
    ("RSA", 1, 170),
    ("Lebanon", 1, 60),
    ("Lithuania", 1, 190),
    ("Brazil", 1, 90),
    ("Czech Republic", 1, 30),
    ("Bahrain", 2, 110),
    ("Saudi Arabia", 1, 10),
    ("Nigeria", 1, 30),
    ("Korea", 1, 60),
    ("Thailand", 1, 80),
    ("West Indies", 1, 50),
    ("Bermuda", 1, 30),
)
_UK = 0
_COUNTRY_NAMES = [name for name, _, _ in _COUNTRIES]
_GUEST_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("United Kingdom", 0.975),
    ("Hong Kong", 0.006),
    ("Unspecified", 0.005),
    ("EIRE", 0.004),
    ("France", 0.003),
    ("Germany", 0.002),
    ("Portugal", 0.002),
    ("Switzerland", 0.001),
    ("Israel", 0.001),
    ("Bahrain", 0.001),
)
_CARRIAGE_COUNTRIES = ("EIRE", "Channel Islands")  # C2 carriage instead of POST

# Quantities: values and their probability by buyer profile (guest retail, regular customer, wholesaler).
_QUANTITIES = np.array(
    [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 36, 48, 72, 96, 100, 144, 200, 288, 400, 500]
)
_QTY_RETAIL = np.array(
    [45, 20, 10, 7, 3, 5, 2, 3, 3, 0.5, 0.5, 1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.02, 0.02, 0.01, 0.01]
)
_QTY_REGULAR = np.array(
    [8, 13, 8, 10, 2, 15, 7, 8, 17, 2, 2, 5, 1, 1, 0.8, 0.3, 0.3, 0.3, 0.2, 0.1, 0.1, 0.03, 0.02]
)
_QTY_WHOLESALE = np.array([2, 4, 3, 5, 1, 10, 5, 8, 22, 3, 4, 12, 3, 3, 5, 2.5, 3, 2.5, 2, 1, 1, 0.5, 0.5])
_DEAR_PRICE_MILLI = 5_000  # items from £5 are bought by the few, not the dozen
_BULK_QUANTITY = 48  # wholesale price break: ~15% off from 48 units
_GUEST_MARKUP = (2.0, 2.4)  # dotcom (guest) prices are about twice the trade price
_FREE_LINE_SHARE = 0.0002  # product lines given away at price 0

# Price points (pounds) by item tier: small/pack items, ordinary gifts, dear items.
_PRICE_TIERS = (
    (0.29, 0.39, 0.42, 0.55, 0.65, 0.72, 0.79, 0.85, 0.95, 1.25, 1.45, 1.65, 1.95, 2.10),
    (0.85, 0.95, 1.25, 1.45, 1.65, 1.69, 1.95, 2.10, 2.46, 2.55, 2.95, 3.25, 3.39, 3.75, 4.15, 4.25, 4.95),
    (3.75, 4.25, 4.95, 5.45, 5.95, 6.75, 7.95, 8.50, 9.95, 10.95, 12.75, 14.95, 16.95, 24.95, 39.95),
)

_PRICE_STEP_DECAY = 0.95  # within a tier each dearer price point is 15% less common
_PRICE_POPULARITY_ELASTICITY = 0.15

# Word lists for descriptions in the LGS style ("WHITE HANGING HEART T-LIGHT HOLDER").
_COLOURS = (
    "WHITE", "RED", "PINK", "BLUE", "GREEN", "IVORY", "CREAM", "BLACK", "SILVER", "GOLD",
    "PURPLE", "ORANGE", "YELLOW", "NATURAL", "ANTIQUE SILVER", "PASTEL", "CHOCOLATE", "TURQUOISE",
)  # fmt: skip
_MOTIFS = (
    "RETROSPOT", "POLKADOT", "SPOTTY", "GINGHAM", "PAISLEY", "REGENCY", "VINTAGE DOILY", "WOODLAND",
    "SKULLS", "SPACEBOY", "DOLLY GIRL", "HANGING HEART", "HEART", "STAR", "BIRD", "BUTTERFLY", "FLOWER",
    "ROSE", "DAISY", "LOVE", "ENGLISH ROSE", "PANTRY", "PARISIENNE", "BAROQUE", "EDWARDIAN", "VICTORIAN",
    "FRENCH", "RABBIT", "OWL", "CIRCUS PARADE", "ALPHABET", "JAM MAKING", "TEA TIME", "CHARLOTTE",
    "SUKI", "LOVEBIRD", "KNITTED", "FELTCRAFT", "ORIGAMI", "JUNGLE", "STRAWBERRY", "CHERRY", "FAIRY CAKE",
    "CUPCAKE", "MOROCCAN", "ZINC", "ENAMEL", "GLASS", "WOODEN", "CERAMIC", "VINTAGE", "SCANDINAVIAN",
    "BLOSSOM", "HOME SWEET HOME", "PARTY", "NIGHT OWL", "FLORAL", "LACE", "PEACE", "MERMAID",
    # the Christmas range (sells from August to December)
    "CHRISTMAS", "50'S CHRISTMAS", "SNOWFLAKE", "REINDEER", "SANTA", "ANGEL", "CHRISTMAS TREE",
    "GINGERBREAD MAN", "ADVENT", "NORDIC STAR",
)  # fmt: skip
_N_CHRISTMAS_MOTIFS = 10  # the last ones above
_ITEMS: tuple[tuple[str, int], ...] = (  # (item, price tier)
    ("T-LIGHT HOLDER", 1), ("LANTERN", 2), ("LUNCH BAG", 1), ("SHOPPER BAG", 1), ("TOTE BAG", 1),
    ("CAKE STAND", 2), ("MUG", 1), ("CUP AND SAUCER", 1), ("TEA CUP", 1), ("TEAPOT", 2), ("PLATE", 1),
    ("BOWL", 1), ("JUG", 1), ("DOORMAT", 2), ("CUSHION COVER", 2), ("HOT WATER BOTTLE", 2),
    ("PHOTO FRAME", 1), ("WALL CLOCK", 2), ("ALARM CLOCK", 2), ("MIRROR", 2), ("METAL SIGN", 1),
    ("BUNTING", 1), ("GARLAND", 1), ("CANDLE", 1), ("STORAGE TIN", 1), ("STORAGE BOX", 1),
    ("TRINKET BOX", 1), ("JEWELLERY BOX", 2), ("NOTEBOOK", 0), ("PENCIL CASE", 0), ("WRAP", 0),
    ("GIFT BAG", 0), ("APRON", 1), ("OVEN GLOVE", 1), ("TEA TOWEL", 1), ("PURSE", 1), ("HANDBAG", 2),
    ("UMBRELLA", 2), ("DRAWER KNOB", 1), ("COAT RACK", 2), ("HOOK", 0), ("CHALKBOARD", 1),
    ("HANGING DECORATION", 0), ("ORNAMENT", 0), ("BAUBLE", 0), ("WREATH", 2), ("DOORSTOP", 2),
    ("PIN CUSHION", 1), ("SEWING KIT", 1), ("WATERING CAN", 1), ("PLANT POT", 1), ("BIRD FEEDER", 1),
    ("PARTY BAG", 0), ("PICNIC BASKET", 2), ("MONEY BOX", 1), ("NIGHT LIGHT", 1), ("LIGHT GARLAND", 2),
    ("DOOR HANGER", 0), ("KEY RING", 0), ("LUGGAGE TAG", 0), ("PASSPORT COVER", 1), ("BEAKER", 0),
    ("EGG CUP", 0), ("CUTLERY SET", 1), ("CAKE TIN", 1), ("BISCUIT TIN", 1), ("BREAD BIN", 2),
    ("MILK JUG", 1), ("BOTTLE", 1), ("VASE", 1), ("BIRDCAGE", 2), ("WASHBAG", 1), ("HAIR CLIP", 0),
    ("FRIDGE MAGNET", 0), ("TABLE RUNNER", 1), ("WALL ART", 2), ("CABINET", 2), ("SHELF", 2), ("TRAY", 1),
)  # fmt: skip
_PACK_ITEMS = (
    "CAKE CASES", "PAPER NAPKINS", "PAPER CUPS", "PAPER PLATES", "PARTY CANDLES", "GIFT TAGS", "STICKERS",
    "COLOURING PENCILS", "TEA LIGHTS", "COASTERS", "DOILIES", "BALLOONS", "PEGS", "LABELS", "POSTCARDS",
    "GREETING CARDS", "ENVELOPES", "RIBBONS", "BUTTONS", "TISSUES", "SWEETIE BAGS", "CRACKERS",
)  # fmt: skip
_PACKS = ("PACK OF 12", "PACK OF 20", "PACK OF 72", "PACK OF 60", "SET OF 6", "SET OF 4", "SET/3", "SET/10")
_SIZES = ("SMALL", "LARGE", "MINI", "JUMBO", "MEDIUM", "GIANT")
# Stock-code ranges of the real catalogue: (first, last + 1, share of products).
_CODE_RANGES = (
    (20600, 24000, 0.62),
    (84000, 85300, 0.12),
    (47000, 48200, 0.05),
    (71000, 72900, 0.04),
    (79000, 79400, 0.03),
    (82000, 82600, 0.04),
    (90000, 90220, 0.05),
    (10000, 10200, 0.01),
    (15000, 17200, 0.02),
    (35000, 37500, 0.02),
)

# Non-product stock codes (DOMAIN.md §1 "StockCode"), in the order of their index after the products.
_SPECIALS = (
    ("POST", "POSTAGE"),
    ("DOT", "DOTCOM POSTAGE"),
    ("C2", "CARRIAGE"),
    ("M", "Manual"),
    ("D", "Discount"),
    ("S", "SAMPLES"),
    ("B", "Adjust bad debt"),
    ("BANK CHARGES", "Bank Charges"),
    ("AMAZONFEE", "AMAZON FEE"),
    ("PADS", "PADS TO MATCH ALL CUSHIONS"),
)
_POST, _DOT, _C2, _MANUAL, _DISCOUNT, _SAMPLES, _BAD_DEBT, _BANK, _AMAZON, _PADS = range(len(_SPECIALS))
# How stock corrections are described; None: no description (most of the real set's 4,382 such lines).
_CORRECTION_NOTES = ("damaged", "damages", "?", "missing", "lost", "smashed", "wet damaged", "check", None)
_CORRECTION_QUANTITIES = np.array([1, 2, 3, 4, 5, 6, 10, 12, 20, 24, 48, 100, 200])
_CORRECTION_QTY_WEIGHT = np.array([20, 10, 6, 5, 3, 6, 5, 6, 3, 4, 2, 1, 0.5])

# Rates of non-product lines: per invoice (POST, C2, DOT, M, BANK CHARGES, PADS) or per cancelled line.
_POST_ABROAD = 0.55
_POST_UK = 0.004
_CARRIAGE_RATE = 0.45
_CARRIAGE_UK = 0.001
_DOT_RATE = 0.35
_MANUAL_RATE = 0.012
_MANUAL_GUEST_RATE = 0.005
_BANK_RATE = 0.002
_PADS_RATE = 0.0005
_C_DISCOUNT, _C_MANUAL, _C_SAMPLES, _C_BANK = 0.009, 0.03, 0.005, 0.002
_SAME_DAY_CANCELLATION = 0.45
_MEAN_CANCELLATION_GAP_DAYS = 14

# Invoice kinds, in the order their rows are built.
_K_CUSTOMER, _K_GUEST, _K_CORRECTION, _K_ADJUSTMENT, _K_FEE, _K_CANCELLATION = range(6)
# Invoice-number prefixes; within one minute plain numbers come first, then A, then C, so that the order
# by number and the order by the invoice string agree.
_PREFIX_NONE, _PREFIX_A, _PREFIX_C = 0, 1, 2

SCHEMA = pl.Schema(
    {
        "source_row": pl.Int64(),
        "invoice": pl.String(),
        "stock_code": pl.String(),
        "description": pl.String(),
        "quantity": pl.Int32(),
        "invoice_date": pl.Datetime("us"),
        "unit_price": pl.Decimal(18, 3),
        "customer_id": pl.Int32(),
        "country": pl.String(),
    }
)


@dataclass(frozen=True)
class _Catalogue:
    codes: pl.Series  # products, then the _SPECIALS codes
    descriptions: pl.Series  # the same order, then the _CORRECTION_NOTES
    price_milli: np.ndarray  # products only: trade price in thousandths of a pound
    christmas: np.ndarray  # product indices of the Christmas range
    christmas_cdf: np.ndarray  # their popularity, cumulated
    everyday: np.ndarray  # the other products
    everyday_cdf: np.ndarray

    @property
    def n_products(self) -> int:
        return len(self.price_milli)


def generate_lines(
    rows: int = 1_000_000,
    seed: int = 42,
    start: date = DEMO_START,
    end: date = DEMO_END,
) -> pl.DataFrame:
    """``rows`` invoice lines of a London-Gift-Shop-like business from ``start`` to ``end`` (inclusive).

    Columns as the store's ``staged_lines`` (see ``SCHEMA``), ordered by invoice date, then invoice.
    Deterministic: the same arguments give the same frame.
    """
    rows = operator.index(rows)
    if not 0 <= rows <= MAX_ROWS:
        raise LgsError(
            f"cannot generate {rows:,} demo lines", where="demo data", todo=f"ask for 0 to {MAX_ROWS:,} lines"
        )
    if end < start:
        raise LgsError(f"the span ends ({end}) before it starts ({start})", where="demo data")
    if rows == 0:
        return pl.DataFrame(schema=SCHEMA)
    catalogue_seed, lines_seed = np.random.SeedSequence(seed).spawn(2)
    # The catalogue depends on the seed only, so demo sets of different sizes sell the same products.
    catalogue = _catalogue(np.random.default_rng(catalogue_seed))
    return _Generator(np.random.default_rng(lines_seed), catalogue, rows, start, end).frame()


def demo_fingerprint(rows: int, seed: int, start: date = DEMO_START, end: date = DEMO_END) -> str:
    """sha256 of the generator's parameters (and version): the load log's fingerprint of a demo set."""
    params = {
        "generator": "lgs_core.sources.demo",
        "version": _GENERATOR_VERSION,
        "rows": rows,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()


def load_demo(
    db: str | os.PathLike[str] | None = None,
    rows: int = 1_000_000,
    seed: int = 42,
    progress: Callable[[float, str], None] | None = None,
    by: Principal | None = None,
) -> LoadResult:
    """Replace the store's data set with ``rows`` generated lines, in one transaction (the replaced set is kept:
    ``lgs_core.store.history``). ``by``: who (refused unless an editor; default the OS user)."""
    who = acting(by, Action.DEMO)
    began = time.perf_counter()
    report = progress or _no_progress
    source = f"demo data ({rows:,} lines, seed {seed})"
    report(0.0, f"generating {rows:,} demo lines")
    # Generate before opening the store: the file is locked for writing only while it is written.
    frame = generate_lines(rows, seed)
    report(0.5, f"writing {rows:,} lines to the store")
    fingerprint = demo_fingerprint(rows, seed)
    con = connect(db)
    try:
        with write_data_set(con, kind="demo", source=source, fingerprint=fingerprint, loaded_by=who) as w:
            load_id = w.start("replace")
            con.register("staged_lines", frame)
            try:
                insert_staged_lines(con, load_id)
            finally:
                con.unregister("staged_lines")
            w.add(rows, rows, 0, {})
    finally:
        con.close()
    report(1.0, f"{rows:,} demo lines loaded")
    return w.result(started=began)


def _no_progress(fraction: float, message: str) -> None:
    return None


# --- the catalogue ---------------------------------------------------------------------------------


def _catalogue(rng: np.random.Generator) -> _Catalogue:
    n = _N_PRODUCTS
    # Families of one base code; ~14% come in variants with a letter suffix (85123A, 85123B, ...).
    variants = np.where(
        rng.random(n) < 0.86, 1, rng.choice([2, 3, 4, 5, 6], n, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    )
    n_families = int(np.searchsorted(np.cumsum(variants), n)) + 1
    variants = variants[:n_families]
    variants[-1] -= int(variants.sum()) - n
    bases = _base_codes(rng, n_families)

    family = np.repeat(np.arange(n_families), variants)
    variant = np.arange(n) - np.repeat(np.cumsum(variants) - variants, variants)
    has_suffix = np.repeat(variants > 1, variants)
    letters = np.array(list("ABCDEFGH"))
    codes = pl.Series(bases[family].astype(str)) + pl.Series(np.where(has_suffix, letters[variant], ""))

    # A family shares its words; its variants differ by colour.
    template = rng.choice(5, n_families, p=[0.3, 0.25, 0.12, 0.15, 0.18])[family]
    motif = rng.integers(0, len(_MOTIFS), n_families)[family]
    item = rng.integers(0, len(_ITEMS), n_families)[family]
    pack_item = rng.integers(0, len(_PACK_ITEMS), n_families)[family]
    pack = rng.integers(0, len(_PACKS), n_families)[family]
    size = rng.integers(0, len(_SIZES), n_families)[family]
    colour = (rng.integers(0, len(_COLOURS), n_families)[family] + 5 * variant) % len(_COLOURS)
    words = pl.DataFrame(
        {
            "template": template,
            "colour": np.array(_COLOURS)[colour],
            "motif": np.array(_MOTIFS)[motif],
            "item": np.array([name for name, _ in _ITEMS])[item],
            "pack_item": np.array(_PACK_ITEMS)[pack_item],
            "pack": np.array(_PACKS)[pack],
            "size": np.array(_SIZES)[size],
        }
    )
    c, m, i = pl.col("colour"), pl.col("motif"), pl.col("item")
    descriptions = words.select(
        pl.when(pl.col("template") == 0)
        .then(pl.concat_str([c, m, i], separator=" "))
        .when(pl.col("template") == 1)
        .then(pl.concat_str([i, c, m], separator=" "))
        .when(pl.col("template") == 2)
        .then(pl.concat_str([pl.col("size"), m, i, c], separator=" "))
        .when(pl.col("template") == 3)
        .then(pl.concat_str([pl.col("pack"), c, m, pl.col("pack_item")], separator=" "))
        .otherwise(pl.concat_str([m, c, i], separator=" "))
        .alias("description")
    ).to_series()

    tier = np.where(template == 3, 0, np.array([t for _, t in _ITEMS])[item])
    price_milli = np.zeros(n, dtype=np.int64)
    for t, points in enumerate(_PRICE_TIERS):
        in_tier = tier == t
        milli = np.round(np.array(points) * 1000).astype(np.int64)
        cheap_first = _PRICE_STEP_DECAY ** np.arange(len(milli))
        price_milli[in_tier] = rng.choice(milli, int(in_tier.sum()), p=cheap_first / cheap_first.sum())

    # Zipf popularity (the top product has ~0.6% of the product lines, as 85123A has in the real set),
    # leaning towards the cheap: the real best sellers cost £0.42 to £3.
    weight = 1.0 / (rng.permutation(n) + 40.0)
    weight *= np.clip((price_milli / 1650.0) ** -_PRICE_POPULARITY_ELASTICITY, 0.5, 2.0)
    is_christmas = motif >= len(_MOTIFS) - _N_CHRISTMAS_MOTIFS
    christmas = np.flatnonzero(is_christmas)
    everyday = np.flatnonzero(~is_christmas)

    special_codes = pl.Series([code for code, _ in _SPECIALS])
    special_descriptions = pl.Series([text for _, text in _SPECIALS])
    return _Catalogue(
        codes=pl.concat([codes, special_codes]).alias("stock_code"),
        descriptions=pl.concat(
            [descriptions, special_descriptions, pl.Series(_CORRECTION_NOTES, dtype=pl.String)]
        ).alias("description"),
        price_milli=price_milli,
        christmas=christmas,
        christmas_cdf=_cdf(weight[christmas]),
        everyday=everyday,
        everyday_cdf=_cdf(weight[everyday]),
    )


def _base_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 5-digit base codes, spread over the real catalogue's ranges."""
    pool = np.concatenate([np.arange(lo, hi) for lo, hi, _ in _CODE_RANGES])
    weight = np.concatenate([np.full(hi - lo, share / (hi - lo)) for lo, hi, share in _CODE_RANGES])
    return rng.choice(pool, n, replace=False, p=weight / weight.sum())


def _cdf(weight: np.ndarray) -> np.ndarray:
    """Normalised cumulative weights, for inverse-CDF draws with ``np.searchsorted(cdf, u, 'right')``."""
    total = np.cumsum(weight, dtype=np.float64)
    return total / total[-1] if len(total) and total[-1] > 0 else total


# --- the lines -------------------------------------------------------------------------------------


class _Generator:
    """One demo data set: invoices first (who, when, how many lines), then their lines."""

    def __init__(self, rng: np.random.Generator, catalogue: _Catalogue, rows: int, start: date, end: date):
        self.rng = rng
        self.catalogue = catalogue
        self.rows = rows
        self.days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        self.month = (self.days.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)
        self.day_weight = _day_weights(self.days, self.month)
        self.day_cum = np.concatenate([[0.0], np.cumsum(self.day_weight)])

    # -- helpers

    def draw_days(self, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """One day in [lo, hi] per element, weighted by the day weights whose running sum is ``cum``."""
        a, b = cum[lo], cum[hi + 1]
        u = a + self.rng.random(len(lo)) * (b - a)
        return np.clip(np.searchsorted(cum, u, side="right") - 1, lo, hi)

    def draw_minutes(self, n: int) -> np.ndarray:
        hour = self.rng.choice(len(_HOUR_WEIGHT), n, p=_HOUR_WEIGHT / _HOUR_WEIGHT.sum()) + _FIRST_HOUR
        return hour * 60 + self.rng.integers(0, 60, n)

    def split_lines(self, total: int, weight: np.ndarray) -> np.ndarray:
        """Line counts per invoice: each at least 1, summing to ``total``, the rest in proportion to weight."""
        n = len(weight)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        return 1 + self.rng.multinomial(total - n, weight / weight.sum())

    def lognormal(self, sigma: float, n: int) -> np.ndarray:
        return self.rng.lognormal(0.0, sigma, n)

    # -- the plan

    def frame(self) -> pl.DataFrame:
        rows = self.rows
        n_adjust = round(rows * _ADJUSTMENT_LINE_SHARE)
        n_fee = round(rows * _AMAZON_FEE_LINE_SHARE)
        n_correction = round(rows * _CORRECTION_LINE_SHARE)
        cancelled_lines = round(rows * _CANCELLED_LINE_SHARE)
        guest_lines = round(rows * _GUEST_LINE_SHARE)
        customer_lines = rows - n_adjust - n_fee - n_correction - cancelled_lines - guest_lines
        n_customer_invoices = _count(customer_lines, _LINES_PER_CUSTOMER_INVOICE)
        n_customers = min(max(1, round(rows / _LINES_PER_CUSTOMER)), n_customer_invoices)
        n_guest_invoices = _count(guest_lines, _LINES_PER_GUEST_INVOICE)
        n_cancellations = _count(cancelled_lines, _LINES_PER_CANCELLATION)

        customers = self.customers(n_customers)
        sales = self.customer_invoices(customers, n_customer_invoices, customer_lines)
        guests = self.single_kind(_K_GUEST, n_guest_invoices, guest_lines, _GUEST_BASKET_SIGMA)
        corrections = self.single_kind(_K_CORRECTION, n_correction, n_correction)
        adjustments = self.single_kind(_K_ADJUSTMENT, n_adjust, n_adjust)
        fees = self.single_kind(_K_FEE, n_fee, n_fee)
        own = _concat_invoices([sales, guests, corrections, adjustments, fees])
        own_lines = self.own_lines(own, customers)
        cancellations = self.cancellations(sales, n_cancellations, cancelled_lines)
        cancelled = self.cancelled_lines(cancellations, own, own_lines)
        invoices = _concat_invoices([own, cancellations])
        lines = {key: np.concatenate([own_lines[key], cancelled[key]]) for key in own_lines}
        return self.assemble(invoices, lines, customers)

    def customers(self, n: int) -> dict[str, np.ndarray]:
        rng, n_days = self.rng, len(self.days)
        country = _assign_countries(rng, n)
        # 5-digit ids from 12346 (the real set's first), a few gaps, in no particular order.
        span = min(int(n * 1.07) + 1, 90_000)
        first_id = min(12346, 100_000 - span)
        ids = (first_id + rng.choice(span, n, replace=False)).astype(np.int32)
        # Acquisition: the existing customer base shows up in the first month; the rest arrive over the
        # period, a little more often early on, with the season (more new customers in the autumn).
        trend = 1.2 - 0.5 * np.arange(n_days) / max(n_days - 1, 1)
        acquisition_cum = np.concatenate([[0.0], np.cumsum(self.day_weight * trend)])
        everyone = self.draw_days(acquisition_cum, np.zeros(n, dtype=np.int64), np.full(n, n_days - 1))
        first_month = self.draw_days(
            self.day_cum, np.zeros(n, dtype=np.int64), np.full(n, min(30, n_days - 1))
        )
        acquired = np.where(rng.random(n) < _EXISTING_CUSTOMER_SHARE, first_month, everyone)
        # Churn: keen buyers stay longer (the real data's frequent buyers are mostly still active at the end).
        appetite = self.lognormal(_RATE_SIGMA, n)
        lifetime = (rng.exponential(_MEAN_LIFETIME_DAYS, n) * appetite**_LOYALTY_ELASTICITY).astype(np.int64)
        one_off = rng.random(n) < _ONE_OFF_SHARE
        last = np.where(one_off, acquired, np.minimum(acquired + lifetime, n_days - 1))
        rate = appetite * ~one_off
        wholesale = rng.random(n) < np.where(country == _UK, _WHOLESALE_SHARE_UK, _WHOLESALE_SHARE_ABROAD)
        basket = self.lognormal(_CUSTOMER_BASKET_SIGMA, n) * np.where(wholesale, 1.3, 1.0)
        return {
            "id": ids,
            "country": country,
            "acquired": acquired,
            "last": last,
            "rate": rate,
            "wholesale": wholesale,
            "basket": basket,
        }

    def customer_invoices(
        self, customers: dict[str, np.ndarray], n_invoices: int, n_lines: int
    ) -> dict[str, np.ndarray]:
        """Every customer's first invoice on their acquisition day; the rest over their active window."""
        rng, n_days = self.rng, len(self.days)
        acquired, last, rate = customers["acquired"], customers["last"], customers["rate"]
        n_customers = len(acquired)
        # Day weights for repeat purchases, chosen so that all customer invoices together follow the
        # season however many customers are active: target per day minus first purchases, per unit of rate.
        target = n_invoices * self.day_weight / self.day_weight.sum()
        firsts = np.bincount(acquired, minlength=n_days)
        wanted = np.maximum(target - firsts, 0.1 * target)
        active_rate = np.cumsum(
            np.bincount(acquired, rate, n_days + 1) - np.bincount(last + 1, rate, n_days + 1)
        )
        active_rate = active_rate[:n_days]
        repeat_weight = np.divide(wanted, active_rate, out=np.zeros(n_days), where=active_rate > 1e-12)
        repeat_cum = np.concatenate([[0.0], np.cumsum(repeat_weight)])
        reach = rate * (repeat_cum[last + 1] - repeat_cum[acquired])
        # Each country gets its real share of the invoices, however few customers it has here.
        country = customers["country"]
        country_share = np.array([lines for _, _, lines in _COUNTRIES], dtype=np.float64)
        country_share *= np.bincount(country, minlength=len(_COUNTRIES)) > 0
        country_share /= country_share.sum()
        repeats_wanted = np.maximum(
            country_share * n_invoices - np.bincount(country, minlength=len(_COUNTRIES)), 0.0
        )
        reach_by_country = np.bincount(country, reach, len(_COUNTRIES))
        reach *= np.divide(
            repeats_wanted, reach_by_country, out=np.zeros(len(_COUNTRIES)), where=reach_by_country > 0
        )[country]
        if reach.sum() <= 0:
            reach = np.ones(n_customers)
        per_customer = 1 + rng.multinomial(n_invoices - n_customers, reach / reach.sum())

        customer = np.repeat(np.arange(n_customers), per_customer)
        first = np.zeros(n_invoices, dtype=bool)
        first[np.cumsum(per_customer) - per_customer] = True
        later = self.draw_days(repeat_cum, acquired[customer], last[customer])
        day = np.where(first, acquired[customer], later)
        weight = customers["basket"][customer] * self.lognormal(_INVOICE_BASKET_SIGMA, n_invoices)
        return {
            "kind": np.full(n_invoices, _K_CUSTOMER),
            "customer": customer,
            "country": customers["country"][customer],
            "day": day,
            "minute": self.draw_minutes(n_invoices),
            "size": self.split_lines(n_lines, weight),
        }

    def single_kind(
        self, kind: int, n_invoices: int, n_lines: int, sigma: float = 0.0
    ) -> dict[str, np.ndarray]:
        """Invoices without a customer (guest sales, stock corrections, adjustments, fees)."""
        n_days = len(self.days)
        day = self.draw_days(
            self.day_cum, np.zeros(n_invoices, dtype=np.int64), np.full(n_invoices, n_days - 1)
        )
        if kind == _K_GUEST:
            names = [name for name, _ in _GUEST_COUNTRIES]
            share = np.array([s for _, s in _GUEST_COUNTRIES])
            index = np.array([_COUNTRY_NAMES.index(name) for name in names])
            country = index[self.rng.choice(len(names), n_invoices, p=share / share.sum())]
        else:
            country = np.full(n_invoices, _UK)
        return {
            "kind": np.full(n_invoices, kind),
            "customer": np.full(n_invoices, -1),
            "country": country,
            "day": day,
            "minute": self.draw_minutes(n_invoices),
            "size": self.split_lines(n_lines, self.lognormal(sigma, n_invoices)),
        }

    def cancellations(self, sales: dict[str, np.ndarray], n: int, n_lines: int) -> dict[str, np.ndarray]:
        """C invoices of customers: each cancels lines of one of the customer's invoices, then or later."""
        rng, n_days = self.rng, len(self.days)
        if len(sales["day"]) == 0:
            n = 0
        origin = rng.integers(0, len(sales["day"]), n) if n else np.zeros(0, dtype=np.int64)
        day0, minute0 = sales["day"][origin], sales["minute"][origin]
        # Same day, minutes or hours after the order; or another open day within a few weeks.
        gap = rng.geometric(1 / _MEAN_CANCELLATION_GAP_DAYS, n)
        hi = np.minimum(day0 + gap, n_days - 1)
        lo = np.minimum(day0 + 1, hi)
        later_day = self.draw_days(self.day_cum, lo, hi)
        can_be_later = (self.day_cum[hi + 1] - self.day_cum[lo] > 0) & (day0 < n_days - 1)
        later = can_be_later & (rng.random(n) >= _SAME_DAY_CANCELLATION)
        same_day_minute = np.minimum(minute0 + 1 + rng.exponential(60.0, n).astype(np.int64), _CLOSING_MINUTE)
        return {
            "kind": np.full(n, _K_CANCELLATION),
            "customer": sales["customer"][origin],
            "country": sales["country"][origin],
            "day": np.where(later, later_day, day0),
            "minute": np.where(later, self.draw_minutes(n), same_day_minute),
            "size": self.split_lines(n_lines, self.lognormal(_CANCELLATION_SIGMA, n)),
            "origin": origin,  # index into sales, which come first among the own invoices
        }

    # -- lines

    def own_lines(
        self, invoices: dict[str, np.ndarray], customers: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """The lines of every invoice that is not a customer's cancellation."""
        rng, cat = self.rng, self.catalogue
        size, kind = invoices["size"], invoices["kind"]
        n = int(size.sum())
        invoice = np.repeat(np.arange(len(size)), size)
        start = np.cumsum(size) - size
        line_kind = kind[invoice]
        month = self.month[invoices["day"]][invoice]

        christmas = rng.random(n) < _CHRISTMAS_SHARE[month]
        u = rng.random(n)
        product = np.empty(n, dtype=np.int64)
        for chosen, pool, cdf in (
            (christmas, cat.christmas, cat.christmas_cdf),
            (~christmas, cat.everyday, cat.everyday_cdf),
        ):
            pick = np.searchsorted(cdf, u[chosen], side="right")
            product[chosen] = pool[np.minimum(pick, len(pool) - 1)]

        # Quantity by buyer profile; dear items come by ones and twos, not dozens.
        cust = invoices["customer"][invoice]
        wholesale = (cust >= 0) & customers["wholesale"][np.maximum(cust, 0)]
        profile = np.where(line_kind == _K_CUSTOMER, np.where(wholesale, 2, 1), 0)
        quantity = np.empty(n, dtype=np.int64)
        for p, weights in enumerate((_QTY_RETAIL, _QTY_REGULAR, _QTY_WHOLESALE)):
            mask = profile == p
            quantity[mask] = rng.choice(_QUANTITIES, int(mask.sum()), p=weights / weights.sum())
        price = cat.price_milli[product]
        dear = price >= _DEAR_PRICE_MILLI
        quantity[dear] = np.maximum(1, quantity[dear] // 4)
        bulk = quantity >= _BULK_QUANTITY
        price = np.where(bulk, _round_pence(price * 0.85), price)
        guest = line_kind == _K_GUEST
        markup = rng.uniform(*_GUEST_MARKUP, n)
        price = np.where(guest, _round_pence(price * markup), price)
        price = np.where(rng.random(n) < _FREE_LINE_SHARE, 0, price)
        description = product.copy()

        # Non-product lines of sales invoices, replacing a product line so the line count stays exact.
        sale = kind == _K_CUSTOMER
        abroad = invoices["country"] != _UK
        carriage_country = np.isin(
            invoices["country"], [_COUNTRY_NAMES.index(c) for c in _CARRIAGE_COUNTRIES]
        )
        n_inv = len(size)
        last = start + size - 1
        anywhere = start + (rng.random(n_inv) * size).astype(np.int64)

        def put(chosen: np.ndarray, at: np.ndarray, code: int, qty: np.ndarray, milli: np.ndarray) -> None:
            where = at[chosen]
            product[where] = cat.n_products + code
            description[where] = cat.n_products + code
            quantity[where] = qty[chosen]
            price[where] = milli[chosen]

        ones = np.ones(n_inv, dtype=np.int64)
        several = size >= 2  # postage and carriage go with goods, not alone
        post_rate = np.where(abroad & ~carriage_country, _POST_ABROAD, _POST_UK)
        post_qty = rng.choice([1, 2, 3, 4, 6], n_inv, p=[0.45, 0.25, 0.15, 0.1, 0.05])
        post_price = rng.choice([15_000, 18_000, 28_000, 40_000], n_inv, p=[0.3, 0.55, 0.1, 0.05])
        put(sale & several & (rng.random(n_inv) < post_rate), start, _POST, post_qty, post_price)
        carriage_rate = np.where(carriage_country, _CARRIAGE_RATE, _CARRIAGE_UK)
        put(sale & several & (rng.random(n_inv) < carriage_rate), last, _C2, ones, np.full(n_inv, 50_000))
        manual_price = _round_pence(rng.lognormal(np.log(2_500), 1.5, n_inv))
        manual_rate = np.where(sale, _MANUAL_RATE, np.where(kind == _K_GUEST, _MANUAL_GUEST_RATE, 0.0))
        put(rng.random(n_inv) < manual_rate, anywhere, _MANUAL, ones, manual_price)
        put(sale & (rng.random(n_inv) < _BANK_RATE), last, _BANK, ones, np.full(n_inv, 15_000))
        put(sale & (rng.random(n_inv) < _PADS_RATE), anywhere, _PADS, ones, np.ones(n_inv, dtype=np.int64))
        dotcom_postage = _round_pence(rng.lognormal(np.log(120_000), 0.8, n_inv))
        put((kind == _K_GUEST) & several & (rng.random(n_inv) < _DOT_RATE), last, _DOT, ones, dotcom_postage)
        big = _round_pence(rng.lognormal(np.log(4_000_000), 0.9, n_inv))
        put(kind == _K_ADJUSTMENT, start, _BAD_DEBT, ones, big)
        put(kind == _K_FEE, start, _AMAZON, -ones, big)

        # Stock corrections: a product written off (damaged, lost, "?"), price 0.
        correction = line_kind == _K_CORRECTION
        k = int(correction.sum())
        weights = _CORRECTION_QTY_WEIGHT / _CORRECTION_QTY_WEIGHT.sum()
        quantity[correction] = -rng.choice(_CORRECTION_QUANTITIES, k, p=weights)
        price[correction] = 0
        note = np.where(
            rng.random(k) < 0.5, len(_CORRECTION_NOTES) - 1, rng.integers(0, len(_CORRECTION_NOTES) - 1, k)
        )
        description[correction] = cat.n_products + len(_SPECIALS) + note
        return {"product": product, "description": description, "quantity": quantity, "price": price}

    def cancelled_lines(
        self,
        cancellations: dict[str, np.ndarray],
        own: dict[str, np.ndarray],
        own_lines: dict[str, np.ndarray],
    ) -> dict[str, np.ndarray]:
        """Lines of C invoices: consecutive lines of the cancelled invoice, with negative quantity."""
        rng, cat = self.rng, self.catalogue
        size = cancellations["size"]
        n = int(size.sum())
        origin = cancellations["origin"]
        own_start = np.cumsum(own["size"]) - own["size"]
        origin_size = own["size"][origin]
        offset = (rng.random(len(size)) * origin_size).astype(np.int64)
        position = np.arange(n) - np.repeat(np.cumsum(size) - size, size)
        source = np.repeat(own_start[origin], size) + (np.repeat(offset, size) + position) % np.repeat(
            origin_size, size
        )
        product = own_lines["product"][source].copy()
        description = own_lines["description"][source].copy()
        price = own_lines["price"][source].copy()
        ordered = np.abs(own_lines["quantity"][source])
        partly = rng.random(n) < 0.25
        quantity = -np.where(partly, 1 + (rng.random(n) * ordered).astype(np.int64), ordered)
        quantity = np.minimum(quantity, -1)

        # Refunds that are not a product: discount, manual, samples, bank charges.
        u = rng.random(n)
        refund_price = _round_pence(rng.lognormal(np.log(15_000), 1.2, n))
        for code, lo, hi in (
            (_DISCOUNT, 0.0, _C_DISCOUNT),
            (_MANUAL, _C_DISCOUNT, _C_DISCOUNT + _C_MANUAL),
            (_SAMPLES, _C_DISCOUNT + _C_MANUAL, _C_DISCOUNT + _C_MANUAL + _C_SAMPLES),
            (_BANK, _C_DISCOUNT + _C_MANUAL + _C_SAMPLES, _C_DISCOUNT + _C_MANUAL + _C_SAMPLES + _C_BANK),
        ):
            chosen = (u >= lo) & (u < hi)
            product[chosen] = cat.n_products + code
            description[chosen] = cat.n_products + code
            quantity[chosen] = -1
            price[chosen] = 15_000 if code == _BANK else refund_price[chosen]
        return {"product": product, "description": description, "quantity": quantity, "price": price}

    # -- the frame

    def assemble(
        self, invoices: dict[str, np.ndarray], lines: dict[str, np.ndarray], customers: dict[str, np.ndarray]
    ) -> pl.DataFrame:
        kind, size = invoices["kind"], invoices["size"]
        prefix = np.select(
            [kind == _K_ADJUSTMENT, (kind == _K_FEE) | (kind == _K_CANCELLATION)],
            [_PREFIX_A, _PREFIX_C],
            _PREFIX_NONE,
        )
        # Numbers increase with time; ties within a minute broken at random.
        order = np.lexsort((self.rng.random(len(kind)), prefix, invoices["minute"], invoices["day"]))
        n_invoices = len(order)
        first_number = min(_FIRST_INVOICE, 1_000_000 - n_invoices)
        number = first_number + np.arange(n_invoices)
        invoice_text = (
            pl.DataFrame({"prefix": prefix[order], "number": number})
            .select(
                pl.concat_str(
                    [
                        pl.col("prefix").replace_strict(
                            {_PREFIX_NONE: "", _PREFIX_A: "A", _PREFIX_C: "C"}, return_dtype=pl.String
                        ),
                        pl.col("number").cast(pl.String),
                    ]
                )
            )
            .to_series()
        )
        stamp = (
            self.days[invoices["day"][order]].astype("datetime64[m]") + invoices["minute"][order]
        ).astype("datetime64[us]")
        customer = invoices["customer"][order]
        customer_id = np.where(customer >= 0, customers["id"][np.maximum(customer, 0)], 0)
        header = pl.DataFrame(
            {
                "invoice": invoice_text,
                "invoice_date": pl.Series(stamp, dtype=pl.Datetime("us")),
                "customer_id": pl.Series(customer_id, dtype=pl.Int32),
                "has_customer": customer >= 0,
                "country": pl.Series(np.array(_COUNTRY_NAMES)[invoices["country"][order]], dtype=pl.String),
            }
        ).with_columns(pl.when(pl.col("has_customer")).then(pl.col("customer_id")).alias("customer_id"))

        # Lines of invoice k are contiguous in `lines`, starting at line_start[k]; take them in number order.
        line_start = np.cumsum(size) - size
        sorted_size = size[order]
        within = np.arange(self.rows) - np.repeat(np.cumsum(sorted_size) - sorted_size, sorted_size)
        take = np.repeat(line_start[order], sorted_size) + within
        head = np.repeat(np.arange(n_invoices), sorted_size)
        cat = self.catalogue
        frame = header[head].with_columns(
            source_row=pl.int_range(1, self.rows + 1, dtype=pl.Int64),
            stock_code=cat.codes.gather(lines["product"][take]),
            description=cat.descriptions.gather(lines["description"][take]),
            quantity=pl.Series(lines["quantity"][take], dtype=pl.Int32),
            unit_price=pl.Series(lines["price"][take] / 1000.0).cast(pl.Decimal(18, 3)),
        )
        return frame.select(SCHEMA.names())


def _day_weights(days: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Relative trade per day: the season, the weekday, closed over Christmas (24 Dec to 3 Jan)."""
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    weight = _MONTH_WEIGHT[month] * _WEEKDAY_WEIGHT[weekday]
    closed = ((month == 11) & (day_of_month >= 24)) | ((month == 0) & (day_of_month <= 3))
    weight = np.where(closed, 0.0, weight)
    if weight.sum() <= 0:  # a span of only closed days: trade anyway rather than return nothing
        weight = np.ones(len(days))
    return weight


def _assign_countries(rng: np.random.Generator, n: int) -> np.ndarray:
    """Country index per customer: every country with customers gets at least one once there are enough."""
    share = np.array([customers for _, customers, _ in _COUNTRIES], dtype=np.float64)
    share /= share.sum()
    eligible = share > 0
    if n < 4 * int(eligible.sum()):
        return rng.choice(len(share), n, p=share)
    counts = np.where(eligible, np.maximum(1, np.round(share * n)), 0).astype(np.int64)
    counts[_UK] = n - (counts.sum() - counts[_UK])
    return rng.permutation(np.repeat(np.arange(len(share)), counts))


def _concat_invoices(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = ("kind", "customer", "country", "day", "minute", "size")
    return {key: np.concatenate([part[key] for part in parts]).astype(np.int64) for key in keys}


def _count(lines: int, per_invoice: float) -> int:
    """How many invoices share ``lines`` lines at about ``per_invoice`` each (each has at least one)."""
    if lines <= 0:
        return 0
    return min(lines, max(1, round(lines / per_invoice)))


def _round_pence(milli: np.ndarray) -> np.ndarray:
    """Thousandths of a pound rounded to whole pence (prices have 2 decimals)."""
    return (np.round(np.asarray(milli) / 10.0) * 10).astype(np.int64)
