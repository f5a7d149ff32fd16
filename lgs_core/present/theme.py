"""The one theme: every colour a chart, a table or the report uses (issue #17).

Streamlit's own copy of the page colours is ``.streamlit/config.toml`` ``[theme]``, which Streamlit reads
before any code runs; a test keeps the two equal. Calm teal for the figures, a warm rust for what goes wrong.
"""

from __future__ import annotations

# The page (.streamlit/config.toml [theme]).
TEAL = "#2F6F6B"  # primaryColor: sales, the figure itself, "in the segment"
BACKGROUND = "#FBFAF7"  # backgroundColor
SECONDARY_BACKGROUND = "#F0EEE8"  # secondaryBackgroundColor
INK = "#1F2A30"  # textColor: text on a light cell, a chart's median tick

# Accents.
SAND = "#C9A66B"  # new customers, "watch", "not in the segment"
RUST = "#B5533C"  # falls, spikes, cancellations
BLUE = "#3F6FA8"  # dips
GREY = "#8A8F94"  # rules, baselines, what is not judged
NAVY = "#34495E"  # migration: customers new in the period
STONE = "#BDB5AA"  # migration: customers lapsed in the period
RUST_LIGHT = "#F8E9E5"  # a table row with a spike or dip

# Ten calm, distinguishable colours for segments (a segment keeps its colour across charts on a page).
SEGMENT_PALETTE = (
    TEAL,
    SAND,
    "#6B8FB5",
    RUST,
    "#7A9E5A",
    "#8C6BB1",
    "#D08C60",
    "#4FA3A5",
    "#A05C7B",
    GREY,
    "#5C7A3A",
)


def segment_colour(index: int) -> str:
    """The palette's colour for the ``index``-th segment (the palette repeats after its last colour)."""
    return SEGMENT_PALETTE[index % len(SEGMENT_PALETTE)]
