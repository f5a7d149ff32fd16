"""The one glossary: docs/DEFINITIONS.md, read by the app, the CLI and the report (issue #17).

Each definition is one line, ``- `key`: text`` (the standard preset) or ``- `key` (classic): text`` (where the
classic preset differs). A heading ``## Title (`name`)`` opens a named section: ``section("cohorts")`` gives its
definitions in the file's order, as a page lists them. ``definition(key, preset)`` looks a key up in the whole
file, the first line for it winning: the general definitions come first, so an analysis' own meaning of
"active customers" (its section) never replaces the general one.
"""

from __future__ import annotations

import re
from functools import cache

from lgs_core.sqlfiles import definitions_path

DEFINITIONS_PATH = definitions_path()
_DEFINITION = re.compile(r"^- `(?P<key>[a-z0-9_]+)`(?: \((?P<preset>classic)\))?: (?P<text>.+)$")
_SECTION = re.compile(r"^##+ .*?\(`(?P<names>[a-z0-9_]+(?:`, `[a-z0-9_]+)*)`\)\s*$")
_HEADING = re.compile(r"^##+ ")

# (section names, key, preset, text) per definition line, in the file's order.
Entry = tuple[tuple[str, ...], str, str, str]


@cache
def entries() -> tuple[Entry, ...]:
    """Every definition line of docs/DEFINITIONS.md with the names of the section it stands in."""
    if not DEFINITIONS_PATH.exists():  # an install without docs/: figures simply have no help text
        return ()
    found: list[Entry] = []
    names: tuple[str, ...] = ()
    for line in DEFINITIONS_PATH.read_text(encoding="utf-8").splitlines():
        if _HEADING.match(line):
            heading = _SECTION.match(line)
            names = tuple(heading["names"].split("`, `")) if heading else ()
            continue
        match = _DEFINITION.match(line)
        if match:
            found.append((names, match["key"], match["preset"] or "standard", match["text"]))
    return tuple(found)


@cache
def definitions() -> dict[tuple[str, str], str]:
    """``{(key, preset): text}`` over the whole file, the first line for a (key, preset) winning."""
    table: dict[tuple[str, str], str] = {}
    for _, key, preset, text in entries():
        table.setdefault((key, preset), text)
    return table


def definition(key: str, preset: str = "standard") -> str:
    """The definition of a figure (e.g. ``"placed"``) under a preset; "" when it has none."""
    table = definitions()
    return table.get((key, preset)) or table.get((key, "standard"), "")


@cache
def section(name: str) -> dict[str, str]:
    """The standard definitions of the section named ``name`` (e.g. ``"cohorts"``), in the file's order."""
    return {key: text for names, key, preset, text in entries() if name in names and preset == "standard"}
