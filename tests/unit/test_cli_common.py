"""lgs_core.cli.common: what the `lgs` command modules share (issue #17): one way to register a module's
commands, the option blocks, the exit codes and date parsing; no command module reaches into another's private
helpers or argparse's."""

from __future__ import annotations

import argparse
import ast
from datetime import date
from pathlib import Path

import pytest

from lgs_core.analyses.analytics import PRESETS
from lgs_core.cli import common, engine, report
from lgs_core.errors import LgsError

CLI = Path(common.__file__).parent


def test_the_presets_written_out_are_the_analyses_presets() -> None:
    assert common.PRESETS == PRESETS


def test_dates_parse_or_name_the_option() -> None:
    assert common.parse_date(" 2011-02-03 ", "--start") == date(2011, 2, 3)
    assert common.parse_date(None, "--start") is None and common.parse_date("", "--start") is None
    with pytest.raises(LgsError, match=r"^--as-of: '3 Feb' is not a date — write dates as YYYY-MM-DD$"):
        common.parse_date("3 Feb", "--as-of")
    with pytest.raises(LgsError, match=r"^--from-date: no date given"):
        common.required_date("", "--from-date")


def test_the_exit_codes_are_the_documented_ones() -> None:
    codes = (common.EXIT_OK, common.EXIT_UNEXPECTED, common.EXIT_USER_ERROR, common.EXIT_FLAGGED)
    assert codes == (0, 1, 2, 3) and report.EXIT_FLAGGED == 3


def test_without_a_common_parent_each_command_gets_db_and_json() -> None:
    parser = argparse.ArgumentParser()
    engine.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["weekly", "--db", "x.duckdb", "--json"])
    assert (args.command, args.db, args.json, args.func) == ("weekly", "x.duckdb", True, engine.cmd_weekly)


def test_a_given_common_parent_is_used_as_it_is() -> None:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", default="given")
    parent.add_argument("--json", action="store_true")
    parser = argparse.ArgumentParser()
    seen: list[str] = []

    def add_command(name: str, subparsers: common.Subparsers, common_parent: argparse.ArgumentParser) -> None:
        seen.append(name)
        subparsers.add_parser(name, parents=[common_parent])

    common.commands_adder({"a": "A", "b": "B"}, add_command)(parser.add_subparsers(dest="command"), parent)
    assert seen == ["a", "b"] and parser.parse_args(["b"]).db == "given"


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every `from lgs_core.cli... import name` in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.module or "", alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lgs_core.cli")
        for alias in node.names
    ]


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_no_private_helpers_across_modules_and_no_argparse_internals(path: Path) -> None:
    shared = {"lgs_core.cli.common", "lgs_core.cli.output"}
    for module, name in _imports(path):
        assert module in shared or (module == "lgs_core.cli" and name == "common"), (module, name)
        assert not name.startswith("_"), (module, name)
    text = path.read_text(encoding="utf-8")
    for internal in ("_SubParsersAction", "._actions", "_option_string_actions", "_choices_actions"):
        assert internal not in text, internal
