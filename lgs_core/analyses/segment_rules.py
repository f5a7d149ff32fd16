"""The rules of a saved segment (issue #18): conditions on a customer, combined with AND / OR, in plain words,
compiled to parameterised SQL.

A rule is a tree: a ``Group`` matches ``all`` (AND) or ``any`` (OR) of its items, each a ``Condition`` or
another ``Group``. A condition is a field from a fixed table (``FIELDS``), an operator that field allows and
its values. What each field means is RFM's (docs/DEFINITIONS.md; ``sql/segments/segment_facts.sql``):

- ``recency_days``: days since the last order (RFM's recency); ``orders``: RFM's frequency, distinct invoices
  with a purchase; ``spend``: RFM's monetary, Σ quantity × price in pounds; ``aov``: spend ÷ orders;
- ``first_order``: the customer's first purchase at any date; ``country``: RFM's country of the customer;
- ``product``: bought one of these stock codes; ``product_group``: bought a product whose description
  contains this text (the data has no categories: a word of the description, e.g. "CHRISTMAS", is the group);
- ``rfm_segment``: the customer's RFM segment (quintile scores, classic10 or rfm11);
- ``value_tier``: the customer's lifetime-value tier (``VALUE_TIERS``, by expected spend in the next year).

Every bound is spelt out in its label: "spent over £1,000" is more than £1,000 (``gt``), "spent at least
£1,000" is £1,000 or more (``ge``); "between" includes both ends.

``compile_rule(rule)`` returns ``(predicate, params)``: a SQL boolean over the relation ``facts`` (one row per
customer and period: segment_facts.sql's columns) in which every value the user gave is a bound parameter
(``$r0``, ``$r1``, …: names made here, never from the user) and every column, table and operator comes from the
fixed tables below. Nothing a user types reaches the SQL text. No database here (STYLE.md §4).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from lgs_core import formats
from lgs_core.errors import LgsError

Op = Literal["gt", "ge", "lt", "le", "between", "in", "not_in"]
Kind = Literal["days", "count", "money", "date", "countries", "products", "text", "segments", "tiers"]
Match = Literal["all", "any"]

# Limits that keep a value meaningful and every bound parameter representable (DuckDB DECIMAL(38, 3)):
# a rule over £1e15 or 10^9 orders is a typo, and says so instead of failing inside the database.
MAX_MONEY = Decimal("1e15")
MAX_DAYS = 36_600  # a hundred years
MAX_COUNT = 1_000_000_000
MAX_TEXT = 200
MAX_VALUES = 500
MAX_DEPTH = 4
MAX_CONDITIONS = 50
RULE_VERSION = 1

# The segment maps an RFM condition may name (lgs_core.analyses.rfm.NAMED_MAPS), and their segments in order. Written
# out here so this module needs no database or Polars; tests/store/test_segment_rules.py checks they equal rfm's.
RFM_MAPS: dict[str, tuple[str, ...]] = {
    "classic10": (
        "Hibernating",
        "At Risk",
        "Can't Lose",
        "About to Sleep",
        "Need Attention",
        "Loyal Customers",
        "Promising",
        "New Customers",
        "Potential Loyalists",
        "Champions",
    ),
    "rfm11": (
        "Champions",
        "Loyal",
        "Potential Loyalists",
        "New",
        "Promising",
        "Need Attention",
        "About to Sleep",
        "At Risk",
        "Can't Lose",
        "Hibernating",
        "Lost",
    ),
}

# Lifetime-value tiers: customers ranked by expected spend over the next VALUE_HORIZON_DAYS (lgs_core.analyses.clv,
# highest first, ties by customer id); a tier takes them up to its cumulative share of customers.
VALUE_HORIZON_DAYS = 365
VALUE_TIERS: tuple[tuple[str, str, float], ...] = (
    ("high", "High value (the top 20% of expected spend)", 0.2),
    ("medium", "Medium value (the next 30%)", 0.5),
    ("low", "Low value (the other 50%)", 1.0),
)
TIER_LABELS = {key: label for key, label, _ in VALUE_TIERS}


@dataclass(frozen=True)
class FieldSpec:
    """One field a condition can test: its words, its kind of value and the operators it allows."""

    key: str
    label: str
    kind: Kind
    ops: tuple[Op, ...]
    help: str


FIELDS: dict[str, FieldSpec] = {
    f.key: f
    for f in (
        FieldSpec(
            "recency_days",
            "Last order",
            "days",
            ("le", "gt", "between"),
            "days from the customer's last order to the reference date (bought the day before: 1 day ago); "
            "RFM's recency.",
        ),
        FieldSpec(
            "orders",
            "Orders",
            "count",
            ("ge", "gt", "le", "lt", "between"),
            "distinct invoices with a purchase in the date range; RFM's frequency.",
        ),
        FieldSpec(
            "spend",
            "Spend",
            "money",
            ("gt", "ge", "lt", "le", "between"),
            "Σ quantity × price of the customer's product lines in the date range, in pounds, net of their "
            "cancellations (classic: their purchase lines, cancellations ignored); RFM's monetary.",
        ),
        FieldSpec(
            "aov",
            "Average order value",
            "money",
            ("gt", "ge", "lt", "le", "between"),
            "spend ÷ orders, in pounds.",
        ),
        FieldSpec(
            "first_order",
            "First order",
            "date",
            ("ge", "lt", "between"),
            "the date of the customer's first purchase at any date (in the chosen countries and products), "
            "even before the date range.",
        ),
        FieldSpec(
            "country",
            "Country",
            "countries",
            ("in", "not_in"),
            "the customer's country with the most invoices in the date range (RFM's country).",
        ),
        FieldSpec(
            "product",
            "Bought product",
            "products",
            ("in", "not_in"),
            "a purchase of one of these stock codes in the date range (exact codes: 85123A is not 85123B).",
        ),
        FieldSpec(
            "product_group",
            "Bought from a product group",
            "text",
            ("in", "not_in"),
            "a purchase in the date range of a product whose description contains this text (any case), "
            "e.g. CHRISTMAS or HEART: the data has no product categories, its descriptions name the range.",
        ),
        FieldSpec(
            "rfm_segment",
            "RFM segment",
            "segments",
            ("in", "not_in"),
            "the customer's segment on the Customer segments page's default scoring (quintiles), with the "
            "map given (classic10 or rfm11).",
        ),
        FieldSpec(
            "value_tier",
            "Lifetime-value tier",
            "tiers",
            ("in", "not_in"),
            f"customers ranked by expected spend in the next {VALUE_HORIZON_DAYS} days (the Lifetime value "
            "tab's BG/NBD and Gamma-Gamma fit): High = the top 20%, Medium = the next 30%, Low = the rest.",
        ),
    )
}

OP_WORDS: dict[Op, str] = {
    "gt": "over",
    "ge": "at least",
    "lt": "under",
    "le": "at most",
    "between": "between",
    "in": "is one of",
    "not_in": "is none of",
}
# What the page's operator box shows, per field kind and operator: the bound spelt out.
OP_CHOICES: dict[str, dict[str, str]] = {
    "days": {
        "le": "within (N days or fewer ago)",
        "gt": "more than N days ago",
        "between": "between (inclusive)",
    },
    "count": {
        "ge": "at least (N or more)",
        "gt": "more than N",
        "le": "at most (N or fewer)",
        "lt": "fewer than N",
        "between": "between (inclusive)",
    },
    "money": {
        "gt": "over (more than)",
        "ge": "at least (or more)",
        "lt": "under (less than)",
        "le": "at most (or less)",
        "between": "between (inclusive)",
    },
    "date": {"ge": "on or after", "lt": "before", "between": "between (both days included)"},
    "countries": {"in": "is one of", "not_in": "is none of"},
    "products": {"in": "bought any of", "not_in": "bought none of"},
    "text": {"in": "bought from", "not_in": "bought nothing from"},
    "segments": {"in": "is one of", "not_in": "is none of"},
    "tiers": {"in": "is one of", "not_in": "is none of"},
}

Value = int | Decimal | date | str


@dataclass(frozen=True)
class Condition:
    """``field`` ``op`` ``values`` (two values for "between", one or more for lists, else one); ``option``: the
    segment map of an rfm_segment condition. Build with ``Condition.make`` (validates and normalises)."""

    field: str
    op: Op
    values: tuple[Value, ...]
    option: str = ""

    @classmethod
    def make(cls, field_key: str, op: str, values: Any, option: str = "") -> Condition:
        spec = FIELDS.get(str(field_key))
        if spec is None:
            raise LgsError(
                f"unknown rule field {str(field_key)[:40]!r}",
                where="segment rule",
                todo=f"use one of: {', '.join(FIELDS)}",
            )
        if op not in spec.ops:
            raise LgsError(
                f"{spec.label.lower()} cannot be tested with {str(op)[:20]!r}",
                where="segment rule",
                todo=f"use one of: {', '.join(spec.ops)}",
            )
        raw = list(values) if isinstance(values, (list, tuple)) else [values]
        parsed = tuple(_parse_value(spec, v) for v in raw)
        if spec.kind in ("countries", "products", "text", "segments", "tiers"):
            parsed = tuple(dict.fromkeys(parsed))  # duplicates removed, order kept
            if not parsed:
                raise LgsError(
                    f"{spec.label.lower()}: no value given", where="segment rule", todo="give at least one"
                )
            if len(parsed) > MAX_VALUES:
                raise LgsError(
                    f"{spec.label.lower()}: {len(parsed):,} values",
                    where="segment rule",
                    todo=f"give at most {MAX_VALUES}",
                )
        elif op == "between":
            if len(parsed) != 2:
                raise LgsError(
                    f"{spec.label.lower()} between needs two values, not {len(parsed)}",
                    where="segment rule",
                    todo="give the lower and the upper bound",
                )
            low, high = parsed
            if high < low:  # type: ignore[operator]
                parsed = (high, low)
        elif len(parsed) != 1:
            raise LgsError(
                f"{spec.label.lower()} {OP_WORDS[op]} needs one value, not {len(parsed)}",
                where="segment rule",
                todo="give one value",
            )
        if spec.kind == "segments":
            chosen_map = option or "classic10"
            if chosen_map not in RFM_MAPS:
                raise LgsError(
                    f"unknown segment map {chosen_map[:40]!r}",
                    where="segment rule",
                    todo=f"use one of: {', '.join(RFM_MAPS)}",
                )
            unknown = [str(v) for v in parsed if v not in RFM_MAPS[chosen_map]]
            if unknown:
                raise LgsError(
                    f"{chosen_map} has no segment {unknown[0][:60]!r}",
                    where="segment rule",
                    todo=f"use one of: {', '.join(RFM_MAPS[chosen_map])}",
                )
            option = chosen_map
        elif option:
            raise LgsError(
                f"{spec.label.lower()} takes no option", where="segment rule", todo="leave the option out"
            )
        return cls(spec.key, op, parsed, option)  # type: ignore[arg-type]

    @property
    def spec(self) -> FieldSpec:
        return FIELDS[self.field]

    def label(self) -> str:
        """The condition in words, every bound spelt out: "spent over £1,000 (more than £1,000)"."""
        return _label(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "op": self.op,
            "values": [_json_value(v) for v in self.values],
        }
        if self.option:
            out["option"] = self.option
        return out


@dataclass(frozen=True)
class Group:
    """All (AND) or any (OR) of ``items``. An empty group matches every customer."""

    match: Match = "all"
    items: tuple[Condition | Group, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.match not in ("all", "any"):
            raise LgsError(
                f"unknown combination {str(self.match)[:20]!r}", where="segment rule", todo="use all or any"
            )
        if _depth(self) > MAX_DEPTH:
            raise LgsError(
                f"the rule nests groups more than {MAX_DEPTH} deep",
                where="segment rule",
                todo="flatten it",
            )
        if len(self.conditions()) > MAX_CONDITIONS:
            raise LgsError(
                f"the rule has over {MAX_CONDITIONS} conditions",
                where="segment rule",
                todo="combine values into one condition (a list of countries, products)",
            )

    def conditions(self) -> list[Condition]:
        """Every condition of the tree, depth first (the order of ``compile_checks``)."""
        found: list[Condition] = []
        for item in self.items:
            found.extend([item] if isinstance(item, Condition) else item.conditions())
        return found

    def uses(self, field_key: str) -> bool:
        return any(c.field == field_key for c in self.conditions())

    @property
    def reads_lines(self) -> bool:
        """Whether the rule reads the store's lines (a product or product-group condition), not only the facts."""
        return self.uses("product") or self.uses("product_group")

    def rfm_maps(self) -> tuple[str, ...]:
        """The segment maps the rule's RFM conditions name (each needs its RFM scores)."""
        return tuple(dict.fromkeys(c.option for c in self.conditions() if c.field == "rfm_segment"))

    def label(self) -> str:
        """The whole rule in words, e.g. "country is France, and last order within 60 days …"."""
        if not self.items:
            return "every customer with a purchase in the date range"
        joiner = ", and " if self.match == "all" else ", or "
        parts = [item.label() if isinstance(item, Condition) else f"({item.label()})" for item in self.items]
        return joiner.join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"match": self.match, "conditions": [item.to_json() for item in self.items]}

    def to_text(self) -> str:
        """Compact JSON (the form the store and a page's URL keep)."""
        return json.dumps(
            {"version": RULE_VERSION, **self.to_json()}, separators=(",", ":"), ensure_ascii=False
        )


Rule = Group


def _depth(group: Group) -> int:
    inner = [_depth(i) for i in group.items if isinstance(i, Group)]
    return 1 + max(inner, default=0)


def rule_from_json(data: Any, *, where: str = "segment rule") -> Group:
    """A rule from its JSON form (``Group.to_json``); an LgsError naming what is wrong otherwise."""
    if not isinstance(data, Mapping):
        raise LgsError(
            "a rule is not a JSON object", where=where, todo='write {"match": "all", "conditions": [...]}'
        )
    return _group(data, where, 1)


def rule_from_text(text: str, *, where: str = "segment rule") -> Group:
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        raise LgsError("the rule is not valid JSON", where=where, todo="save the segment again") from None
    return rule_from_json(data, where=where)


def _group(data: Mapping[str, Any], where: str, depth: int) -> Group:
    if depth > MAX_DEPTH:
        raise LgsError(f"the rule nests groups more than {MAX_DEPTH} deep", where=where, todo="flatten it")
    match = data.get("match", "all")
    items_data = data.get("conditions", [])
    if not isinstance(items_data, list):
        raise LgsError("a rule's conditions are not a list", where=where, todo="give a list of conditions")
    if len(items_data) > MAX_CONDITIONS:
        raise LgsError(f"the rule has over {MAX_CONDITIONS} conditions", where=where, todo="combine values")
    items: list[Condition | Group] = []
    for item in items_data:
        if not isinstance(item, Mapping):
            raise LgsError("a condition is not a JSON object", where=where, todo="give field, op and values")
        if "conditions" in item:
            items.append(_group(item, where, depth + 1))
        else:
            items.append(
                Condition.make(
                    item.get("field", ""),
                    item.get("op", ""),
                    item.get("values", []),
                    str(item.get("option") or ""),
                )
            )
    return Group(match, tuple(items))


def all_of(*items: Condition | Group) -> Group:
    return Group("all", tuple(items))


def any_of(*items: Condition | Group) -> Group:
    return Group("any", tuple(items))


# --- values -----------------------------------------------------------------------------------------------------


def _parse_value(spec: FieldSpec, value: Any) -> Value:
    what = spec.label.lower()
    if spec.kind in ("days", "count"):
        limit = MAX_DAYS if spec.kind == "days" else MAX_COUNT
        unit = "days" if spec.kind == "days" else "orders"
        number = _number(value, what)
        if number != number.to_integral_value():
            raise LgsError(
                f"{what}: {_short(value)} is not a whole number",
                where="segment rule",
                todo=f"give whole {unit}",
            )
        if not 0 <= number <= limit:
            raise LgsError(
                f"{what}: {_short(value)} {unit} is out of range",
                where="segment rule",
                todo=f"give 0 to {limit:,}",
            )
        return int(number)
    if spec.kind == "money":
        number = _number(value, what)
        if abs(number) > MAX_MONEY:
            raise LgsError(
                f"{what}: £{_short(value)} is out of range",
                where="segment rule",
                todo=f"give an amount within ±£{MAX_MONEY:,.0f}",
            )
        return number.quantize(Decimal("0.001"))
    if spec.kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise LgsError(
                f"{what}: {_short(value)} is not a date", where="segment rule", todo="write YYYY-MM-DD"
            ) from None
    if spec.kind == "tiers":
        key = str(value).strip().lower()
        if key not in TIER_LABELS:
            raise LgsError(
                f"no lifetime-value tier {_short(value)}",
                where="segment rule",
                todo=f"use {', '.join(TIER_LABELS)}",
            )
        return key
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise LgsError(f"{what}: {_short(value)} is not text", where="segment rule", todo="give text")
    text = str(value).strip() if spec.kind != "countries" else str(value)
    if not text.strip():
        raise LgsError(f"{what}: an empty value", where="segment rule", todo="type a value or remove it")
    if len(text) > MAX_TEXT:
        raise LgsError(
            f"{what}: a value of {len(text):,} characters",
            where="segment rule",
            todo=f"keep it to {MAX_TEXT}",
        )
    if "\x00" in text:
        raise LgsError(f"{what}: a value holds a NUL character", where="segment rule", todo="remove it")
    return text


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise LgsError(f"{what}: {value} is not a number", where="segment rule", todo="give a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise LgsError(f"{what}: {value} is not a number", where="segment rule", todo="give a finite number")
    text = str(value).strip().replace(",", "").lstrip("£") if isinstance(value, str) else value
    try:
        number = Decimal(str(text)) if not isinstance(text, Decimal) else text
    except (InvalidOperation, ValueError):
        raise LgsError(
            f"{what}: {_short(value)} is not a number", where="segment rule", todo="give a number"
        ) from None
    if not number.is_finite():
        raise LgsError(
            f"{what}: {_short(value)} is not a number", where="segment rule", todo="give a finite number"
        )
    return number


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _json_value(value: Value) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- words --------------------------------------------------------------------------------------------------------


def money_words(value: Decimal) -> str:
    """Whole pounds when whole, else pence: "£1,000", "£12.50" (``lgs_core.formats``)."""
    return formats.money(value, places=None)


def _list_words(values: Sequence[str], joiner: str = "or") -> str:
    quoted = [f"“{v}”" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {joiner} {quoted[-1]}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _label(c: Condition) -> str:
    v = c.values
    kind = c.spec.kind
    ints = [x for x in v if isinstance(x, int)]
    if kind == "days":
        if c.op == "le":
            return f"last order within {_plural(ints[0], 'day')} ({ints[0]:,} days ago or less)"
        if c.op == "gt":
            return f"last order more than {_plural(ints[0], 'day')} ago"
        return f"last order between {ints[0]:,} and {ints[1]:,} days ago (both included)"
    if kind == "count":
        n = ints[0]
        return {
            "ge": f"at least {_plural(n, 'order')} ({n:,} or more)",
            "gt": f"more than {_plural(n, 'order')}",
            "le": f"at most {_plural(n, 'order')} ({n:,} or fewer)",
            "lt": f"fewer than {_plural(n, 'order')}",
            "between": f"between {n:,} and {ints[-1]:,} orders (both included)",
        }[c.op]
    if kind == "money":
        subject = "spent" if c.field == "spend" else "average order value"
        a = money_words(v[0])  # type: ignore[arg-type]
        words = {
            "gt": f"{subject} over {a} (more than {a})",
            "ge": f"{subject} at least {a} ({a} or more)",
            "lt": f"{subject} under {a} (less than {a})",
            "le": f"{subject} at most {a} ({a} or less)",
        }
        if c.op == "between":
            return f"{subject} between {a} and {money_words(v[1])} (both included)"  # type: ignore[arg-type]
        return words[c.op]
    if kind == "date":
        if c.op == "ge":
            return f"first order on or after {v[0]:%d %b %Y}"
        if c.op == "lt":
            return f"first order before {v[0]:%d %b %Y}"
        return f"first order from {v[0]:%d %b %Y} to {v[1]:%d %b %Y} (both days included)"
    texts = [str(x) for x in v]
    if kind == "countries":
        return (
            f"country is {_list_words(texts)}"
            if c.op == "in"
            else f"country is not {_list_words(texts, 'nor')}"
        )
    if kind == "products":
        return (
            f"bought {_list_words(texts)}" if c.op == "in" else f"bought none of {_list_words(texts, 'and')}"
        )
    if kind == "text":
        which = f"a product whose description contains {_list_words(texts)}"
        return (
            f"bought {which}"
            if c.op == "in"
            else f"bought no product whose description contains {_list_words(texts)}"
        )
    if kind == "segments":
        verb = "is" if c.op == "in" else "is not"
        return f"RFM segment ({c.option}) {verb} {_list_words(texts, 'or' if c.op == 'in' else 'nor')}"
    tiers = [TIER_LABELS[t].split(" (")[0] for t in texts]
    verb = "is" if c.op == "in" else "is not"
    return f"lifetime-value tier {verb} {_list_words(tiers, 'or' if c.op == 'in' else 'nor')}"


# --- SQL ------------------------------------------------------------------------------------------------------------

# The relations and columns a predicate may name: `facts` (sql/segments/segment_facts.sql, the query the
# predicate filters), `lines` (the store's), and the two relations the caller registers when a rule needs
# them: `segment_rfm` (period_end, customer_id, map, segment) and `segment_value` (period_end, customer_id,
# tier). Each entry is SQL text written here; the only things that vary are the parameter names.
_COLUMN: dict[str, str] = {
    "recency_days": "facts.recency_days",
    "orders": "facts.frequency",
    "spend": "facts.monetary",
    "first_order": "facts.first_order",
    "country": "facts.country",
}
_COMPARE: dict[str, str] = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
# A purchase line (docs/DEFINITIONS.md `purchase`) of the customer in the window, before the period's end.
_BOUGHT = (
    "exists (select 1 from lines as l where l.customer_id = facts.customer_id "
    "and l.invoice_date >= $start and l.invoice_date < facts.period_end "
    "and ($all_countries or l.country = any(cast($countries as varchar[]))) "
    "and (not $products_only or l.is_product) "
    "and (case when $classic then l.quantity > 0 and l.line_amount > 0 "
    "else l.is_product and not l.is_cancellation and not l.is_adjustment and l.quantity > 0 end) "
    "and {match})"
)
_PRODUCT_MATCH = "l.stock_code = any(cast(${p} as varchar[]))"
# contains(): the text is matched as text (no LIKE wildcards: a % or _ the user types means itself).
_GROUP_MATCH = "contains(lower(coalesce(l.description, '')), lower(${p}))"
_RFM = (
    "exists (select 1 from segment_rfm as s where s.customer_id = facts.customer_id "
    "and s.period_end = facts.period_end and s.map = ${m} and s.segment = any(cast(${p} as varchar[])))"
)
_TIER = (
    "exists (select 1 from segment_value as v where v.customer_id = facts.customer_id "
    "and v.period_end = facts.period_end and v.tier = any(cast(${p} as varchar[])))"
)

# The parameters every predicate may use besides its own: the window's, bound by the caller's query.
WINDOW_PARAMETERS = ("start", "countries", "all_countries", "products_only", "classic")


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"r{len(self.values)}"
        self.values[name] = value
        return name


def compile_rule(rule: Group) -> tuple[str, dict[str, Any]]:
    """``(predicate, params)``: the rule as a SQL boolean over ``facts``; params named ``r0``, ``r1``, …"""
    _, whole, params = compile_checks(rule)
    return whole, params


def compile_checks(rule: Group) -> tuple[list[str], str, dict[str, Any]]:
    """``(condition predicates, rule predicate, params)``: one boolean per condition (``rule.conditions()``'s
    order, for "why is this customer here") and the whole rule built from them, sharing their parameters."""
    params = _Params()
    checks = [_compile_condition(c, params) for c in rule.conditions()]
    position = iter(checks)
    return checks, _compile_group(rule, position), params.values


def _compile_group(group: Group, compiled: Iterator[str]) -> str:
    """The group's predicate from its conditions' (``compiled``, in ``Group.conditions()``'s order)."""
    if not group.items:
        return "true"
    parts = [
        next(compiled) if isinstance(item, Condition) else _compile_group(item, compiled)
        for item in group.items
    ]
    joiner = " and " if group.match == "all" else " or "
    return "(" + joiner.join(f"({p})" for p in parts) + ")"


def _compile_condition(c: Condition, params: _Params) -> str:
    kind = c.spec.kind
    if kind in ("days", "count", "money", "date"):
        values: list[Any] = list(c.values)
        if kind == "date":
            # Timestamps at midnight; a "between" includes its upper day: up to the next day's midnight.
            values = [datetime.combine(d, time()) for d in c.values]  # type: ignore[arg-type]
            if c.op == "between":
                values[1] += timedelta(days=1)
        if c.field == "aov":
            # spend ÷ orders compared exactly, without a division: orders > 0 for every customer in facts
            # (a customer has a purchase), so aov > x ⟺ spend > x × orders.
            expr = "facts.monetary"

            def side(name: str) -> str:
                return f"cast(${name} as decimal(38, 3)) * facts.frequency"

        else:
            expr = _COLUMN[c.field]

            def side(name: str) -> str:
                return f"${name}"

        if c.op == "between":
            low, high = (params.add(v) for v in values)
            upper = "<" if kind == "date" else "<="
            return f"{expr} >= {side(low)} and {expr} {upper} {side(high)}"
        name = params.add(values[0])
        return f"{expr} {_COMPARE[c.op]} {side(name)}"
    negate = c.op == "not_in"
    if kind == "countries":
        test = f"facts.country = any(cast(${params.add(list(c.values))} as varchar[]))"
    elif kind == "products":
        test = _BOUGHT.format(match=_PRODUCT_MATCH.format(p=params.add(list(c.values))))
    elif kind == "text":
        matches = " or ".join(_GROUP_MATCH.format(p=params.add(str(v))) for v in c.values)
        test = _BOUGHT.format(match=f"({matches})")
    elif kind == "segments":
        test = _RFM.format(m=params.add(c.option), p=params.add(list(c.values)))
    else:
        test = _TIER.format(p=params.add(list(c.values)))
    return f"not ({test})" if negate else test


def condition_from_parts(field_key: str, op: str, values: Iterable[Any], option: str = "") -> Condition:
    """``Condition.make`` for a page's widgets (their values as they come)."""
    return Condition.make(field_key, op, list(values), option)
