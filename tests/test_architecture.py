"""The package map holds itself: the import contracts pass, and they fail when a layer is broken.

The contracts live in pyproject.toml ([tool.importlinter]); docs/ARCHITECTURE.md draws them.
Also: no module in app/ grows past 400 lines, and no Bolt listener past 25.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 400
MAX_LISTENER_LINES = 25


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter over the `app` package found under `root`, with `root`'s contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's `app` and contracts, to break on purpose."""
    root = tmp_path_factory.mktemp("map")
    shutil.copytree(ROOT / "app", root / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _with_import(root: Path, module: str, line: str) -> None:
    path = root / "app" / module
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "complaint"),
    [
        ("kudos/__init__.py", "import slack_bolt", "app.kudos is not allowed to import slack_bolt"),
        (
            "asks/__init__.py",
            "import app.slack.answers",
            "app.asks is not allowed to import app.slack",
        ),
        (
            "delivery/__init__.py",
            "import app.kudos",
            "app.delivery is not allowed to import app.kudos",
        ),
    ],
)
def test_a_broken_layer_breaks_a_contract(
    tmp_path: Path, broken_copy: Path, module: str, line: str, complaint: str
) -> None:
    root = tmp_path / "tree"
    shutil.copytree(broken_copy, root)
    _with_import(root, module, line)
    result = lint_imports(root)
    assert result.returncode != 0
    assert complaint in result.stdout


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "app").rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def _listener_functions() -> dict[str, int]:
    """Every function in the listener modules but the `register` that attaches them: lines."""
    sizes = {}
    for path in (ROOT / "app" / "slack" / "listeners").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name != "register":
                assert node.end_lineno is not None
                name = f"{path.relative_to(ROOT)}:{node.name}"
                sizes[name] = node.end_lineno - node.lineno + 1
    return sizes


def test_no_listener_function_is_over_25_lines() -> None:
    sizes = _listener_functions()
    assert sizes, "the listener modules were not found"
    assert {name: n for name, n in sizes.items() if n > MAX_LISTENER_LINES} == {}
