"""One theme: lgs_core.present.theme is the colours; .streamlit/config.toml is Streamlit's copy of the page's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from lgs_core.present import theme

REPO = Path(__file__).resolve().parents[2]
_HEX = re.compile(r"#[0-9A-Fa-f]{6}\b")


def test_streamlit_draws_the_page_in_the_theme_colours() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
    assert config["primaryColor"] == theme.TEAL
    assert config["backgroundColor"] == theme.BACKGROUND
    assert config["secondaryBackgroundColor"] == theme.SECONDARY_BACKGROUND
    assert config["textColor"] == theme.INK


def test_the_charts_take_their_colours_from_the_theme() -> None:
    for name in ("charts.py", "segment_charts.py"):
        text = (REPO / "lgs_core" / "present" / name).read_text(encoding="utf-8")
        assert not _HEX.findall(text), f"{name} names a colour the theme does not"


def test_segments_keep_their_colour_and_the_palette_repeats() -> None:
    assert theme.segment_colour(0) == theme.TEAL
    assert theme.segment_colour(len(theme.SEGMENT_PALETTE)) == theme.segment_colour(0)
    assert len(set(theme.SEGMENT_PALETTE)) == len(theme.SEGMENT_PALETTE)
