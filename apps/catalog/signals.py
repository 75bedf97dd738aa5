"""Signals for apps built on the catalog, which itself imports none of them.

`layout_changing` is sent inside the layout transaction before seats change, with
`screen`, `removed_seat_ids` and `categories` (the categories of the new layout);
a receiver refuses the change by raising an `ApplicationError`.
`layout_changed` is sent in the same transaction after the seats changed.
"""

from django.dispatch import Signal

layout_changing = Signal()
layout_changed = Signal()
