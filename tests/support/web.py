"""A small HTTP client for servers on loopback: stdlib only, always with a timeout.

The suites that run VENUE as real processes (tests/lb, tests/live, tests/faults) talk to
them with `fetch`; `wait_for` polls a URL until it answers 200.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from urllib.parse import urlsplit, urlunsplit


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)

    @property
    def served_by(self) -> str | None:
        """The backend label of `X-Served-By` (`wsgi-0/4711` -> `wsgi-0`)."""
        value = self.headers.get("X-Served-By")
        return value.split("/")[0] if value else None


def fetch(
    url: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    json_body=None,
    cookies: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    send_headers = {"Accept": "application/json", **(headers or {})}
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        send_headers["Content-Type"] = "application/json"
    if cookies:
        send_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        conn.request(method, path, body=body, headers=send_headers)
        response = conn.getresponse()
        data = response.read()
        jar = SimpleCookie()
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar.load(raw)
        return Reply(response.status, response.headers, data, {k: m.value for k, m in jar.items()})
    finally:
        conn.close()


def wait_for(url: str, *, timeout: float, process: subprocess.Popen | None = None) -> Reply:
    """Poll `url` until it answers 200; fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            reply = fetch(url, timeout=2)
            if reply.status == 200:
                return reply
            last = reply.status
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s (last: {last!r})")
