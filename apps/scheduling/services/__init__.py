"""Writes on showtimes (`slots`) and schedule rules (`rules`). Each service owns its
transaction; callers use the names exported here."""

from .rules import (
    GenerationResult,
    generation_job_run,
    rule_showtimes,
    rule_validate,
    schedule_rule_create,
    slots_generate,
)
from .slots import (
    layout_change_check,
    slot_create,
    slot_delete,
    slot_update,
    slots_follow_layout,
)
from .types import ticket_types_set, type_prices_checked

__all__ = [
    "GenerationResult",
    "generation_job_run",
    "layout_change_check",
    "rule_showtimes",
    "rule_validate",
    "schedule_rule_create",
    "slot_create",
    "slot_delete",
    "slot_update",
    "slots_follow_layout",
    "slots_generate",
    "ticket_types_set",
    "type_prices_checked",
]
