"""A client's view of the live seat map, following the version rules of `/ws/slots/<id>/`.

The reference for what a client does with the messages (the seat picker page
does the same in JavaScript); the tests, the two-process integration test and
`bench/ws.py` use it:

    view = SeatMapView()
    action = view.apply(message)   # "applied", "stale", "gap" or "ignored"
    if action == "gap":
        send({"type": "resync"})   # the answer is a snapshot that puts the view right
"""

from dataclasses import dataclass, field


@dataclass
class SeatMapView:
    version: int | None = None
    available: int | None = None
    seats: dict[str, str] = field(default_factory=dict)
    gaps: int = 0  # how many times a lost update was detected

    def apply(self, message: dict) -> str:
        kind = message.get("type")
        if kind == "snapshot":
            self.version = message["version"]
            self.available = message["available"]
            self.seats = dict(message["seats"])
            return "applied"
        if kind != "update" or self.version is None:
            return "ignored"
        if message["version"] <= self.version:
            return "stale"  # already in the snapshot (or applied)
        if message["version"] > self.version + 1:
            self.gaps += 1
            return "gap"  # something was lost: resync
        self.version = message["version"]
        self.available = message["available"]
        self.seats.update(message["changes"])
        return "applied"
