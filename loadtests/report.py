"""Turn locust's CSV stats and the status counts of `locustfile.py` into the summary.

Pure functions on files, no locust import: `tests/test_loadtest_report.py` runs
them in `make test`; locust itself never runs there.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Endpoint:
    """One row of `<prefix>_stats.csv`: a request name, or `Aggregated` for all of them."""

    name: str
    requests: int
    failures: int
    rps: float
    p95_ms: float | None
    p99_ms: float | None


@dataclass
class Scenario:
    name: str
    endpoints: list[Endpoint]
    statuses: dict[str, int] = field(default_factory=dict)
    # What the scenario must show, checked by `problems()`.
    forbid_5xx: bool = True
    expect_429: bool = False

    @property
    def total(self) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.name == "Aggregated":
                return endpoint
        raise ValueError(f"{self.name}: no Aggregated row in the locust stats")

    def count(self, predicate) -> int:
        return sum(
            n for code, n in self.statuses.items() if code.isdigit() and predicate(int(code))
        )

    @property
    def server_errors(self) -> int:
        return self.count(lambda code: code >= 500)

    def problems(self) -> list[str]:
        found = []
        if self.total.requests == 0:
            found.append("no request was made")
        if self.forbid_5xx and self.server_errors:
            found.append(f"{self.server_errors} responses 5xx")
        if self.statuses.get("no_response"):
            found.append(f"{self.statuses['no_response']} requests got no response")
        if self.expect_429:
            if not self.statuses.get("429_with_retry_after"):
                found.append("no 429 with Retry-After")
            if self.statuses.get("429_without_retry_after"):
                found.append(f"{self.statuses['429_without_retry_after']} 429s without Retry-After")
        elif self.total.failures:
            found.append(f"{self.total.failures} failed requests")
        return found


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):  # locust writes "N/A" for an empty row
        return None


def parse_stats_csv(path: Path) -> list[Endpoint]:
    """Read locust's `<prefix>_stats.csv` (locust 2.x columns)."""
    with Path(path).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Endpoint(
            name=row["Name"],
            requests=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            rps=float(row["Requests/s"]),
            p95_ms=_number(row["95%"]),
            p99_ms=_number(row["99%"]),
        )
        for row in rows
    ]


def load_scenario(name: str, prefix: Path, **checks) -> Scenario:
    """The stats CSV `<prefix>_stats.csv` and the status counts `<prefix>_status.json`."""
    prefix = Path(prefix)
    status_file = prefix.with_name(prefix.name + "_status.json")
    statuses = json.loads(status_file.read_text()) if status_file.exists() else {}
    endpoints = parse_stats_csv(prefix.with_name(prefix.name + "_stats.csv"))
    return Scenario(name, endpoints, statuses, **checks)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def format_summary(scenarios: list[Scenario]) -> str:
    """One line per scenario and one per endpoint, then the verdicts."""
    lines = [
        f"{'scenario':<12} {'endpoint':<16} {'requests':>8} {'req/s':>7} {'failures':>8}"
        f" {'5xx':>5} {'p95 ms':>7}  statuses"
    ]
    for scenario in scenarios:
        total = scenario.total
        codes = {k: v for k, v in sorted(scenario.statuses.items()) if k.isdigit()}
        lines.append(
            f"{scenario.name:<12} {'(all)':<16} {total.requests:>8} {total.rps:>7.1f}"
            f" {total.failures:>8} {scenario.server_errors:>5} {_ms(total.p95_ms):>7}  {codes}"
        )
        for endpoint in scenario.endpoints:
            if endpoint.name != "Aggregated":
                lines.append(
                    f"{'':<12} {endpoint.name[:16]:<16} {endpoint.requests:>8} {endpoint.rps:>7.1f}"
                    f" {endpoint.failures:>8} {'':>5} {_ms(endpoint.p95_ms):>7}"
                )
    for scenario in scenarios:
        problems = scenario.problems()
        verdict = "ok" if not problems else "FAILED: " + "; ".join(problems)
        extra = ""
        if scenario.expect_429:
            extra = f" ({scenario.statuses.get('429_with_retry_after', 0)} x 429 with Retry-After)"
        lines.append(f"{scenario.name}: {verdict}{extra}")
    return "\n".join(lines)
