"""Strike at the worst moment: while a confirm is past its charge, or refunds are reserved.

A fault at a random instant mostly hits requests that are harmless to cut. These
helpers watch the system from outside (pg_stat_activity on the suite's cluster,
the broker's `unacked` hash in Redis) and return as soon as the dangerous window
is open, so the fault lands in it. Each wait is bounded; on timeout the fault
strikes anyway and the figures say it was not aimed.
"""

from __future__ import annotations

import contextlib
import os
import time

import psycopg

# The last statement of a session that is between charge and booking: the charge in
# the test provider's ledger (step 2), the payment marked charged, or step 3 (the claims
# locked for the booking, the booking and its tickets written). Refunds excluded.
PAST_CHARGE = r"""
SELECT client_port, state, left(query, 120)
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND client_port IS NOT NULL
  AND query !~* 'refund'
  AND (
    query ~* '"bookings_testprovidercharge"'
    OR query ~* '^UPDATE "bookings_payment"'
    OR (state <> 'idle' AND query ~* '^INSERT INTO "bookings_(booking|ticket)"')
    OR (state <> 'idle' AND query ~* '^UPDATE "bookings_seatclaim" SET "booking_id"')
    OR (state <> 'idle' AND query ~* '^SELECT .* FROM "bookings_seatclaim" .* FOR UPDATE')
  )
"""


def wait_past_charge(database_url: str, *, timeout: float, owners=None):
    """Until a session is between charge and booking; return (port, state, query, pid),
    or None after `timeout`. With `owners` (a callable giving client port -> pid of the
    processes to aim at, asked again when a session of an unknown port shows), only
    sessions of those processes count."""
    deadline = time.monotonic() + timeout
    known = owners() if owners else {}
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        while time.monotonic() < deadline:
            for port, state, query in conn.execute(PAST_CHARGE).fetchall():
                if owners is None:
                    return port, state, query, None
                if port not in known:
                    known = owners()
                if port in known:
                    return port, state, query, known[port]
            time.sleep(0.002)
    return None


def _tcp_inodes(remote_port: int) -> dict[int, int]:
    """Local port -> socket inode of TCP connections to `remote_port` (this host)."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], int(fields[9])
                if int(remote.rsplit(":", 1)[1], 16) == remote_port and inode:
                    found[int(local.rsplit(":", 1)[1], 16)] = inode
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(int(link[8:-1]))
    return inodes


def database_ports(pids: list[int], database_port: int) -> dict[int, int]:
    """Client port -> pid, for the database connections the processes `pids` hold."""
    by_inode = {inode: port for port, inode in _tcp_inodes(database_port).items()}
    owners = {}
    for pid in pids:
        for inode in _socket_inodes(pid) & set(by_inode):
            owners[by_inode[inode]] = pid
    return owners


def wait_refunds_reserved(redis_port: int, *, timeout: float) -> int:
    """Until the Celery worker has reserved (not yet acknowledged) refund tasks; return how
    many (0 after `timeout`). With acks_late a task stays in kombu's `unacked` hash from
    delivery until it finishes."""
    import redis

    client = redis.Redis(port=redis_port, socket_connect_timeout=1, socket_timeout=1)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                reserved = client.hvals("unacked")
                count = sum(1 for message in reserved if b"bookings.refund_payment" in message)
                if count:
                    return count
            time.sleep(0.002)
    finally:
        client.close()
    return 0
