"""Each service is an entry point that owns its transaction, opened `durable=True`, so
two services cannot be chained into one transaction by accident (a caller that needs
both in one must get a service that does both).

The guard reads the service modules: a public function that opens a transaction (a
decorator or its outermost `with transaction.atomic`) opens it durable; savepoints
inside that transaction are free. A public function that starts by calling
`require_transaction()` is a part of its caller's transaction by contract (the
waitlist's offer hold), not an entry point. A transactional test shows Django
enforcing it.
"""

import ast
from pathlib import Path

import pytest
from django.db import transaction

ROOT = Path(__file__).resolve().parents[1]


def _service_modules() -> list[Path]:
    found = sorted(ROOT.glob("apps/*/services.py")) + sorted(ROOT.glob("apps/*/services/*.py"))
    return [path for path in found if path.name != "__init__.py" or path.stat().st_size]


def _atomic_call(node: ast.AST) -> ast.Call | ast.Attribute | None:
    """`transaction.atomic` or `transaction.atomic(...)`, else None."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute) and target.attr == "atomic":
        return node
    return None


def _durable(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and any(
        kw.arg == "durable" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in node.keywords
    )


def _outermost_withs(body: list[ast.stmt]):
    """The `with transaction.atomic` statements not inside another one."""
    for stmt in body:
        if isinstance(stmt, ast.With):
            atomic = [_atomic_call(item.context_expr) for item in stmt.items]
            atomic = [a for a in atomic if a is not None]
            if atomic:
                yield stmt, atomic[0]
                continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _outermost_withs(
                    [
                        s
                        for h in inner
                        for s in (h.body if isinstance(h, ast.ExceptHandler) else [h])
                    ]
                )


def _joins_caller(node: ast.FunctionDef) -> bool:
    """The function runs inside its caller's transaction: it calls require_transaction()."""
    return any(
        isinstance(n, ast.Call)
        and getattr(n.func, "id", getattr(n.func, "attr", "")) == "require_transaction"
        for n in ast.walk(node)
    )


def undurable_entry_points(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        if _joins_caller(node):
            continue
        decorators = [d for d in node.decorator_list if _atomic_call(d) is not None]
        if decorators:
            if not all(_durable(d) for d in decorators):
                bad.append(f"{node.name} (decorator)")
            continue
        for stmt, call in _outermost_withs(node.body):
            if not _durable(call):
                bad.append(f"{node.name} (line {stmt.lineno})")
    return bad


@pytest.mark.parametrize(
    "path", _service_modules(), ids=lambda p: str(p.relative_to(ROOT / "apps"))
)
def test_every_service_entry_point_opens_a_durable_transaction(path):
    assert undurable_entry_points(path) == []


def test_the_guard_sees_a_plain_transaction(tmp_path):
    module = tmp_path / "services.py"
    module.write_text(
        "from django.db import transaction\n"
        "@transaction.atomic\n"
        "def thing_create(*, name): ...\n"
        "def thing_move(*, thing):\n"
        "    if thing:\n"
        "        with transaction.atomic():\n"
        "            with transaction.atomic():\n"  # a savepoint inside: fine
        "                pass\n"
        "@transaction.atomic(durable=True)\n"
        "def thing_delete(*, thing): ...\n"
        "def thing_part(*, thing):\n"
        "    require_transaction()\n"
        "    with transaction.atomic(): ...\n"
        "def _helper():\n"
        "    with transaction.atomic(): ...\n"
    )
    assert undurable_entry_points(module) == ["thing_create (decorator)", "thing_move (line 6)"]


@pytest.mark.django_db(transaction=True)
def test_a_service_refuses_to_run_inside_another_transaction():
    from apps.accounts.models import Role, User
    from apps.catalog import services as catalog

    organizer = User.objects.create_user("nest@venue.test", None, role=Role.ORGANIZER)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        catalog.venue_create(organizer=organizer, name="Nested Hall", city="Porto")
    venue = catalog.venue_create(organizer=organizer, name="Own Hall", city="Porto")
    assert venue.pk
