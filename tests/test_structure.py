"""The shape of the code: apps import one way only, and modules stay small enough to read.

The dependency order (docs/architecture.md): the page layers (`organizer`, `site`) on
top, then waitlist → bookings → scheduling → catalog → accounts → core. An app may
import the apps below it, never one above or beside it; `core` imports no app. Other
apps react to a lower app's changes through its events, never by being imported by it.

Every module of the application (apps/ and venue/, tests beside the code included;
migrations excluded) and of the shared test helpers (tests/support/) stays under
MAX_LINES: past that, split it by what it does.

Only test code imports the shared helpers of `tests/support/`, and a test of an app
uses only those helpers whose apps it may import itself: a helper's imports count as
the test's.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = [
    "core", "accounts", "catalog", "scheduling", "bookings", "waitlist", "checkin", "operations",
]  # fmt: skip
PAGES = ["site", "organizer"]  # both on top; neither imports the other
MAX_LINES = 450


def _rank(app: str) -> int:
    return len(ORDER) if app in PAGES else ORDER.index(app)


def _modules():
    for path in sorted((ROOT / "apps").rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_modules(path: Path) -> set[str]:
    """The absolute imports of a module (`from package import module` counts both)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _support_module(name: str) -> Path | None:
    """The file of a `tests.support` module, or None for any other name."""
    if not name.startswith("tests.support."):
        return None
    path = ROOT.joinpath(*name.split(".")).with_suffix(".py")
    return path if path.exists() else None


def _imported_apps(path: Path, seen: frozenset[Path] = frozenset()) -> set[str]:
    """The apps a module imports, with those of the `tests.support` helpers it uses."""
    found = set()
    for name in _imported_modules(path):
        parts = name.split(".")
        if parts[0] == "apps" and len(parts) > 1:
            found.add(parts[1])
        helper = _support_module(name)
        if helper is not None and helper not in seen:
            found |= _imported_apps(helper, seen | {path})
    return found


def _is_test_code(path: Path) -> bool:
    return "tests" in path.relative_to(ROOT).parts


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


def test_application_code_never_imports_test_code():
    paths = [p for p in _modules() if not _is_test_code(p)]
    paths += sorted((ROOT / "venue").rglob("*.py"))
    wrong = {
        str(p.relative_to(ROOT)): sorted(
            name for name in _imported_modules(p) if name.split(".")[0] == "tests"
        )
        for p in paths
    }
    wrong = {path: names for path, names in wrong.items() if names}
    assert not wrong, f"only tests import tests/ (tests/support included): {wrong}"


def test_no_module_passes_the_size_limit():
    paths = [
        p
        for folder in ("apps", "venue", "tests/support")
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


def test_the_guard_sees_an_app_through_a_shared_helper(tmp_path):
    """A catalog test using the booking helpers imports bookings, as if it did itself."""
    module = tmp_path / "test_bad.py"
    module.write_text(
        "from tests.support.booking import book\nfrom tests.support import fixtures\n"
    )
    assert {"bookings", "catalog", "accounts"} <= _imported_apps(module)
    assert "tests.support.fixtures" in _imported_modules(module)
    assert not _is_test_code(ROOT / "apps" / "catalog" / "models.py")
    assert _is_test_code(ROOT / "apps" / "catalog" / "tests" / "conftest.py")
