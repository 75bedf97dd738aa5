"""`make test`: the whole suite as two pytest processes side by side.

The schemathesis conformance test (tests/test_openapi_conformance.py) is the longest
test of the suite, and under coverage's tracer it runs about three times slower while
measuring no line that the API tests do not. The browser, load-balancer and fault
suites (tests/browser, tests/lb, tests/faults) serve the application from processes
of their own, which coverage does not follow. These run in a second process, without
coverage, on its own test database (`VENUE_TEST_DB_NAME`) and its own Redis database,
while the first process runs everything else with coverage. On two cores the suite
takes about as long as the longer of the two; each prints its slowest tests, to keep
the halves even.

The second process's output is kept in a file and printed after the main run, so
the two reports do not interleave. The exit status is the first non-zero of the two.

Arguments are passed to both processes. Arguments naming tests (a path or a node id)
run that selection in one ordinary pytest process instead.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BESIDE = ["tests/test_openapi_conformance.py", "tests/browser", "tests/lb", "tests/faults"]
DURATIONS = "--durations=15"
ROOT = Path(__file__).resolve().parents[2]


def _names_tests(args: list[str]) -> bool:
    """Whether the arguments select tests (pytest then runs only those)."""
    return any(not a.startswith("-") and (ROOT / a.split("::")[0]).exists() for a in args)


def _other_redis(url: str) -> str:
    """The same Redis server with another database number (n-1, or 1 for 0)."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db - 1 if db else 1}"))


def _conformance_env() -> dict[str, str]:
    env = dict(os.environ)
    db_url = env.get("DATABASE_URL", "")
    if db_url.startswith(("postgres", "pgsql")):
        name = urlsplit(db_url).path.strip("/") or "venue"
        env["VENUE_TEST_DB_NAME"] = f"test_{name}_conformance"
    if env.get("REDIS_URL"):
        env["REDIS_URL"] = _other_redis(env["REDIS_URL"])
    return env


def main(args: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    if _names_tests(args):
        return subprocess.call([*pytest, *args], cwd=ROOT)
    with tempfile.TemporaryFile("w+") as log:
        side = subprocess.Popen(
            [*pytest, *BESIDE, "--no-cov", DURATIONS, *args],
            cwd=ROOT,
            env=_conformance_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        print(f"[make test] {' '.join(BESIDE)} run beside this run (pid {side.pid})", flush=True)
        ignored = [option for path in BESIDE for option in ("--ignore", path)]
        try:
            main_status = subprocess.call([*pytest, *ignored, DURATIONS, *args], cwd=ROOT)
            side_status = side.wait()
        finally:
            if side.poll() is None:
                side.kill()
        log.seek(0)
        print(f"\n[make test] {' '.join(BESIDE)}, run beside the rest:", flush=True)
        sys.stdout.write(log.read())
    print(f"[make test] main run exit {main_status}, the run beside it exit {side_status}")
    return main_status or side_status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
