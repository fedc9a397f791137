"""The rules package stays pure: standard library only, no clock, and a complete error list."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tsuen.rules import ERROR_CODES, RuleError

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "tsuen" / "rules"
SOURCES = sorted(PACKAGE.glob("*.py"))
TESTS = sorted(Path(__file__).parent.glob("test_*.py"))
DOC = ROOT / "docs" / "rules.md"


def trees():
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in SOURCES]


def test_importing_the_rules_loads_no_django_and_no_other_tsuen_app():
    code = (
        "import sys, tsuen.rules\n"
        "bad = [m for m in sys.modules if m.startswith('django')\n"
        "       or (m.startswith('tsuen.') and not m.startswith('tsuen.rules'))]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_rules_import_only_the_standard_library():
    for path, tree in trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names, f"{path.name} imports {name}"


CLOCK_NAMES = {"today", "now", "utcnow", "time_ns", "monotonic", "localtime", "gmtime"}


def test_the_rules_never_read_the_clock():
    for path, tree in trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                assert node.attr not in CLOCK_NAMES, f"{path.name}:{node.lineno} reads the clock"
                if isinstance(node.value, ast.Name) and node.value.id == "time":
                    assert node.attr != "time", f"{path.name}:{node.lineno} reads the clock"
            if isinstance(node, ast.Name):
                assert node.id not in CLOCK_NAMES, f"{path.name}:{node.lineno} reads the clock"


def test_no_floats_in_the_rules():
    for path, tree in trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant):
                assert not isinstance(node.value, float), f"{path.name}:{node.lineno}"
            if isinstance(node, ast.Name):
                assert node.id not in {"float", "round"}, f"{path.name}:{node.lineno}"
            if isinstance(node, ast.BinOp):
                assert not isinstance(node.op, ast.Div), f"{path.name}:{node.lineno} uses /"


def string_constants(paths):
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_literal_rule_error_code_is_catalogued():
    for path, tree in trees():
        if path.name == "errors.py":  # require_int passes its caller's code along
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RuleError":
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}:{node.lineno}"
                assert first.value in ERROR_CODES, f"{path.name}:{node.lineno} {first.value}"


def test_every_catalogued_code_is_raised_somewhere():
    used = string_constants(p for p in SOURCES if p.name != "errors.py")
    assert set(ERROR_CODES) - used == set()


def test_every_catalogued_code_is_exercised_by_a_test():
    tested = string_constants(TESTS)
    assert set(ERROR_CODES) - tested == set()


def test_every_code_is_documented():
    doc = DOC.read_text(encoding="utf-8")
    rows = [f"| `{code}` | {meaning} |" for code, meaning in ERROR_CODES.items()]
    assert [row for row in rows if row not in doc] == []


def test_rule_error_carries_a_code_and_a_message():
    err = RuleError("birth_after_date", "Birth date 2026-05-02 is after 2026-05-01.")
    assert isinstance(err, ValueError)
    assert err.code == "birth_after_date"
    assert err.message == str(err) == "Birth date 2026-05-02 is after 2026-05-01."
    assert "birth_after_date" in repr(err)
    with pytest.raises(KeyError):
        RuleError("no_such_code", "never")
