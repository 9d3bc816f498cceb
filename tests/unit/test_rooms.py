"""Rooms without cycles: each package imports only what the README's folder table allows.

Every module is parsed (never imported), and every import counts: at module level, inside
functions (lazy imports), under ``if TYPE_CHECKING:``, and ``importlib.import_module("x")``
with a literal name. Third-party imports are not checked here; only Tripwire's own packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OWN = frozenset({"tripwire", "streams", "detectors", "sinks", "ui", "benchmarks", "tripwire_sdk"})

#: package -> the first-party packages it may import (itself included).
ALLOWED: dict[str, frozenset[str]] = {
    "tripwire_sdk": frozenset({"tripwire_sdk"}),
    "detectors": frozenset({"detectors", "tripwire_sdk"}),
    "sinks": frozenset({"sinks", "tripwire_sdk"}),
    "streams": frozenset({"streams", "detectors", "sinks", "tripwire_sdk"}),
    "ui": frozenset({"ui", "tripwire_sdk"}),  # the wire's names (stdlib-only constants)
}
SOURCES = {"tripwire_sdk": ROOT / "sdk" / "tripwire_sdk", "detectors": ROOT / "detectors",
           "sinks": ROOT / "sinks", "streams": ROOT / "streams", "ui": ROOT / "ui"}


def imported_packages(source: str) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``source``."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update((node.lineno, a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                node.func, "id", None)) in ("import_module", "__import__") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add((node.lineno, node.args[0].value.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    out = []
    for path in sorted(SOURCES[package].rglob("*.py")):
        for line, name in sorted(imported_packages(path.read_text(encoding="utf-8"))):
            if name in OWN and name not in ALLOWED[package]:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return out


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_its_allowed_rooms(package: str) -> None:
    assert SOURCES[package].is_dir() and any(SOURCES[package].rglob("*.py"))
    assert violations(package) == [], (
        f"{package} may import only {sorted(ALLOWED[package])} of Tripwire's packages "
        "(README, 'How it fits together'). Fix: move the code to the room that "
        "may import it, or pass plain config (see streams.config.WorkerConfig)")


def test_no_room_imports_the_entry_package() -> None:
    """``tripwire`` (settings, CLI, app assembly) imports everything; nothing imports it."""
    for package in ALLOWED:
        assert "tripwire" not in ALLOWED[package]
        assert not [v for v in violations(package) if v.endswith(" imports tripwire")]


#: Modules whose use means file, network, process, environment or clock I/O.
IO_MODULES = frozenset({"os", "pathlib", "importlib", "shutil", "tempfile", "glob",
                        "socket", "ssl", "http", "urllib", "requests", "aiohttp", "subprocess",
                        "asyncio", "logging", "time"})
IO_BUILTINS = frozenset({"open", "input", "print", "exec", "eval", "__import__"})


def io_uses(source: str) -> set[tuple[int, str]]:
    """(line, name) of each I/O module imported and each I/O builtin called in ``source``."""
    found = {(line, name) for line, name in imported_packages(source) if name in IO_MODULES}
    found |= {(node.lineno, f"{node.func.id}()") for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in IO_BUILTINS}
    return found


def test_detectors_do_no_io() -> None:
    """Pure algorithms: no files, environment, network, processes, logging or clock. (tiktoken
    reads its cache, which the entry point seeds: ``tripwire.tiktoken_cache``.)"""
    found = [f"{path.relative_to(ROOT)}:{line} uses {name}"
             for path in sorted(SOURCES["detectors"].rglob("*.py"))
             for line, name in sorted(io_uses(path.read_text(encoding="utf-8")))]
    assert found == [], "detectors/ must stay pure; move the I/O to the entry point (tripwire/)"


def test_the_walk_sees_every_kind_of_import() -> None:
    source = """
import tripwire.settings
from streams.monitor import Monitor
from . import _sibling
import tripwire_sdk, numpy as np
def lazy():
    from sinks.clickhouse import ClickHouseStore
if TYPE_CHECKING:
    from ui import views
importlib.import_module("detectors.drift")
__import__("benchmarks")
"""
    names = {name for _, name in imported_packages(source)}
    assert names == {"tripwire", "streams", "tripwire_sdk", "numpy", "sinks", "ui", "detectors",
                     "benchmarks"}
    io = {name for _, name in io_uses("import os.path\nfrom time import time\nopen('f')\n"
                                      "x = [print(1) for _ in ()]\n")}
    assert io == {"os", "time", "open()", "print()"}
