"""The load-test summary (loadtests/report.py) and the bench-only bare endpoint.

Locust itself never runs here: these read CSV written in locust 2.x's format.
"""

import json

import pytest
from django.test import override_settings
from django.urls import Resolver404, resolve

from loadtests import report

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
)


def write_run(tmp_path, name, rows, statuses=None):
    prefix = tmp_path / name
    (tmp_path / f"{name}_stats.csv").write_text(HEADER + "".join(rows))
    if statuses is not None:
        (tmp_path / f"{name}_status.json").write_text(json.dumps(statuses))
    return prefix


FLASH_ROWS = [
    "POST,confirm,10,0,300,310.5,120,900,250,1.2,0.0,300,320,340,360,400,900,900,900,900,900,900\n",
    "POST,hold-seats,540,0,150,160.1,20,1600,120,67.3,0.0,150,170,190,200,900,1500,1600,1600,1600,1600,1600\n",
    ",Aggregated,550,0,150,162.0,20,1600,121,68.5,0.0,150,170,190,210,900,1500,1600,1600,1600,1600,1600\n",
]


def test_parse_stats_csv_reads_rates_failures_and_percentiles(tmp_path):
    prefix = write_run(tmp_path, "flash", FLASH_ROWS)
    endpoints = report.parse_stats_csv(tmp_path / "flash_stats.csv")
    assert [e.name for e in endpoints] == ["confirm", "hold-seats", "Aggregated"]
    hold = endpoints[1]
    assert (hold.requests, hold.failures, hold.rps, hold.p95_ms, hold.p99_ms) == (
        540, 0, 67.3, 1500.0, 1600.0,
    )  # fmt: skip
    assert prefix.name == "flash"


def test_empty_row_percentiles_are_none(tmp_path):
    row = ",Aggregated,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n"
    scenario = report.load_scenario("idle", write_run(tmp_path, "idle", [row], {}))
    assert scenario.total.p95_ms is None
    assert scenario.problems() == ["no request was made"]
    assert "idle" in report.format_summary([scenario])


def test_flash_sale_with_409s_only_is_ok(tmp_path):
    prefix = write_run(tmp_path, "flash", FLASH_ROWS, {"201": 20, "409": 563})
    scenario = report.load_scenario("flash", prefix)
    assert scenario.server_errors == 0
    assert scenario.problems() == []
    summary = report.format_summary([scenario])
    assert "flash: ok" in summary
    assert "68.5" in summary and "1500" in summary


def test_any_5xx_or_failure_fails_the_scenario(tmp_path):
    rows = [FLASH_ROWS[0], FLASH_ROWS[1], FLASH_ROWS[2].replace(",550,0,", ",550,3,")]
    prefix = write_run(tmp_path, "flash", rows, {"201": 20, "409": 560, "502": 2, "503": 1})
    scenario = report.load_scenario("flash", prefix)
    assert scenario.server_errors == 3
    assert scenario.problems() == ["3 responses 5xx", "3 failed requests"]
    assert "flash: FAILED: 3 responses 5xx; 3 failed requests" in report.format_summary([scenario])


def test_rate_limit_scenario_needs_429_with_retry_after(tmp_path):
    limited = {"200": 300, "429": 50, "429_with_retry_after": 50}
    ok = report.load_scenario(
        "ratelimit", write_run(tmp_path, "a", FLASH_ROWS, limited), expect_429=True
    )
    assert ok.problems() == []
    assert "(50 x 429 with Retry-After)" in report.format_summary([ok])

    none = report.load_scenario(
        "ratelimit", write_run(tmp_path, "b", FLASH_ROWS, {"200": 300}), expect_429=True
    )
    assert none.problems() == ["no 429 with Retry-After"]

    bare = {"200": 300, "429": 4, "429_without_retry_after": 4, "no_response": 2}
    broken = report.load_scenario(
        "ratelimit", write_run(tmp_path, "c", FLASH_ROWS, bare), expect_429=True
    )
    assert broken.problems() == [
        "2 requests got no response",
        "no 429 with Retry-After",
        "4 429s without Retry-After",
    ]


def test_missing_status_file_counts_nothing(tmp_path):
    scenario = report.load_scenario("browse", write_run(tmp_path, "browse", FLASH_ROWS))
    assert scenario.statuses == {} and scenario.server_errors == 0


def test_the_bare_benchmark_endpoint_is_not_in_the_production_urlconf():
    with pytest.raises(Resolver404):
        resolve("/api/v1/bench/bare/")


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.bare_urls")
def test_the_bare_benchmark_endpoint_answers_under_the_bench_urlconf(client):
    response = client.get("/api/v1/bench/bare/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get("/healthz").status_code == 200
