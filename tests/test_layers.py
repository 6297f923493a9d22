"""The layering contract: a package imports only the packages below it.

    foundation < skills < ivr < callbacks < escalations < sla < emulator < acd

``foundation`` imports no other project package, and the pure packages (``skills``, ``ivr``)
do no I/O: they import neither aiohttp nor redis (nor ``acd.ari``, which the order already
forbids).  Every import counts, also one inside a function or under ``TYPE_CHECKING``: a lazy
import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]

LAYERS = ("foundation", "skills", "ivr", "callbacks", "escalations", "sla", "emulator", "acd")
RANK = {package: rank for rank, package in enumerate(LAYERS)}

# Third-party (and project) modules a package may not import whatever its rank.
FORBIDDEN = {
    "skills": ("aiohttp", "redis", "acd.ari"),
    "ivr": ("aiohttp", "redis", "acd.ari"),
}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def imported_modules(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """Every module ``source`` (the text of ``module``) imports, anywhere in it, with relative
    imports resolved.  ``from a import b`` counts as ``a``: the package is what layers are
    about (``from acd import ari`` in a pure package is refused for ``acd`` already)."""
    # The package a relative import is relative to: the module's own for __init__.py.
    parts = module.split(".") if is_package else module.split(".")[:-1]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append(target)
    return found


def upward_imports(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """``module imports target`` for each import that breaks the contract."""
    own = module.split(".")[0]
    problems: list[str] = []
    for target in dict.fromkeys(imported_modules(module, source, is_package=is_package)):
        top = target.split(".")[0]
        if top in RANK and RANK[top] > RANK[own]:
            problems.append(f"{module} imports {target} ({top} is above {own})")
        for banned in FORBIDDEN.get(own, ()):
            if _within(target, banned):
                problems.append(f"{module} imports {target} ({own} must not use {banned})")
    return problems


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            found.append((".".join(relative.parts), path))
    return found


def test_every_package_imports_only_packages_below_it() -> None:
    modules = _modules()
    assert len(modules) > 50  # the walk found the product, not an empty directory
    problems = [
        problem
        for module, path in modules
        for problem in upward_imports(
            module.removesuffix(".__init__"),
            path.read_text(encoding="utf-8"),
            is_package=path.name == "__init__.py",
        )
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("skills.router", "import acd.engine\n", ["skills.router imports acd.engine"]),
        (
            "foundation.clock",
            "def later():\n    from callbacks.model import Callback\n",
            ["foundation.clock imports callbacks.model"],
        ),
        (
            "ivr.menu",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sla import metrics\n",
            ["ivr.menu imports sla"],
        ),
        ("skills.model", "import aiohttp.web\n", ["skills.model imports aiohttp.web"]),
        ("ivr.prompts", "from redis import asyncio\n", ["ivr.prompts imports redis"]),
        ("callbacks.http", "from emulator import Pbx\n", ["callbacks.http imports emulator"]),
    ],
)
def test_the_checker_catches_an_upward_import(
    module: str, source: str, expected: list[str]
) -> None:
    problems = upward_imports(module, source)
    for start in expected:
        assert any(problem.startswith(start + " ") for problem in problems), (start, problems)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("acd.engine.core", "import skills\nfrom foundation.errors import AcdError\n"),
        ("callbacks.http", "from aiohttp import web\n"),  # I/O is fine above the pure core
        ("skills.router", "from skills.model import Step\nfrom . import steps\n"),
        ("emulator.server", "from sla import metrics\n"),
    ],
)
def test_the_checker_lets_downward_imports_pass(module: str, source: str) -> None:
    assert upward_imports(module, source) == []


def test_relative_imports_are_resolved() -> None:
    assert "acd.engine.core" in imported_modules("acd.engine.model", "from .core import X\n")
    assert "acd.settings" in imported_modules("acd.engine.model", "from ..settings import X\n")
    assert "skills.model" in imported_modules(
        "skills", "from .model import Step\n", is_package=True
    )
