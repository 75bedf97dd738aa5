"""Role checks for API views. Ownership (an organizer's own objects) is the selectors' job:
they filter querysets to the caller's objects, so a foreign object is simply not found (404).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import Role


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.role == Role.ADMIN or user.is_superuser))


def is_organizer(user) -> bool:
    """Organizers and admins may manage catalog and schedules."""
    return bool(user and user.is_authenticated and (user.role == Role.ORGANIZER or is_admin(user)))


class IsOrganizer(BasePermission):
    message = "Only organizers can do this."

    def has_permission(self, request, view) -> bool:
        return is_organizer(request.user)


class IsAdmin(BasePermission):
    message = "Only admins can do this."

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class ReadOnlyOrOrganizer(BasePermission):
    """Anyone reads; only organizers (and admins) write."""

    message = "Only organizers can change this."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_organizer(request.user)
