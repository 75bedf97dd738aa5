"""Invalidate cached public reads whenever catalog data changes (API, admin or shell)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.core.cache import public_cache_bump

from .models import Event, Movie, Screen, Seat, Venue


@receiver(post_save, sender=Movie)
@receiver(post_save, sender=Event)
@receiver(post_save, sender=Venue)
@receiver(post_save, sender=Screen)
@receiver(post_delete, sender=Movie)
@receiver(post_delete, sender=Event)
@receiver(post_delete, sender=Venue)
@receiver(post_delete, sender=Screen)
@receiver(post_delete, sender=Seat)
def bump_public_cache(sender, **kwargs) -> None:
    public_cache_bump()
