"""The shape of the code: apps import one way only, and modules stay small enough to read.

The dependency order (docs/architecture.md): the page layers (`organizer`, `site`) on
top, then waitlist → bookings → scheduling → catalog → accounts → core. An app may
import the apps below it, never one above or beside it; `core` imports no app. Other
apps react to a lower app's changes through its events, never by being imported by it.

Every module of the application (apps/ and venue/, tests beside the code included;
migrations excluded) stays under MAX_LINES: past that, split it by what it does.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["core", "accounts", "catalog", "scheduling", "bookings", "waitlist"]
PAGES = ["site", "organizer"]  # both on top; neither imports the other
MAX_LINES = 450


def _rank(app: str) -> int:
    return len(ORDER) if app in PAGES else ORDER.index(app)


def _modules():
    for path in sorted((ROOT / "apps").rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "apps" and len(parts) > 1:
                found.add(parts[1])
    return found


def _app_of(path: Path) -> str:
    return path.relative_to(ROOT / "apps").parts[0]


def test_every_app_is_placed_in_the_order():
    apps = {p.name for p in (ROOT / "apps").iterdir() if (p / "__init__.py").exists()}
    assert apps == set(ORDER) | set(PAGES)


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_dependency_order(path):
    if path.name == "__init__.py" and path.parent == ROOT / "apps":
        return
    app = _app_of(path)
    wrong = sorted(
        other
        for other in _imported_apps(path) - {app}
        if _rank(other) >= _rank(app) and not (app in PAGES and other in ORDER)
    )
    assert not wrong, f"{app} may not import {wrong} (see docs/architecture.md)"


def test_no_module_passes_the_size_limit():
    paths = [
        p
        for folder in ("apps", "venue")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts
    ]
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in paths
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def test_the_guard_sees_a_wrong_import(tmp_path):
    """The check itself can fail: a catalog module importing bookings is caught."""
    module = tmp_path / "bad.py"
    module.write_text("from apps.bookings import services\nimport apps.core.cache\n")
    assert _imported_apps(module) == {"bookings", "core"}
    assert _rank("bookings") > _rank("catalog")
