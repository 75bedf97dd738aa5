"""Keep slots in step with their screen's layout (the catalog's layout signals)."""

from django.dispatch import receiver

from apps.catalog.models import Screen
from apps.catalog.signals import layout_changed, layout_changing

from . import services


@receiver(layout_changing, sender=Screen)
def refuse_layout_change_in_use(sender, screen, removed_seat_ids, categories, **kwargs) -> None:
    services.layout_change_check(
        screen=screen, removed_seat_ids=removed_seat_ids, categories=categories
    )


@receiver(layout_changed, sender=Screen)
def follow_layout_change(sender, screen, **kwargs) -> None:
    services.slots_follow_layout(screen=screen)
