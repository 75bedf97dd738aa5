"""The security audit log: one structured line per security event, never a secret."""

import logging

audit_log = logging.getLogger("venue.audit")


def audit(event: str, *, user_id: int | None = None, level: int = logging.INFO, **context) -> None:
    """Write one audit line; the request id and user id are added by the log filter."""
    extra = {"event": event, **context}
    if user_id is not None:
        extra["user_id"] = user_id
    audit_log.log(level, event, extra=extra)
