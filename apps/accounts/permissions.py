"""Role checks for API views. Ownership (an organizer's own objects) is the selectors' job:
they filter querysets to the caller's objects, so a foreign object is simply not found (404).

Teams: a manager works for one organizer and may do everything that organizer does
except change its team (`acting_organizer` names whose catalog it is); a scanner only
works the door (`staff_organizer_ids`, `team_role`).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import Role, TeamMember


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.role == Role.ADMIN or user.is_superuser))


def is_organizer(user) -> bool:
    """Organizers, their managers and admins may manage catalog and schedules."""
    if not (user and user.is_authenticated):
        return False
    return user.role == Role.ORGANIZER or is_admin(user) or _manager_of(user) is not None


def acting_organizer(user):
    """Whose catalog `user` manages: itself (an organizer or an admin), the organizer it is
    a manager for, or None. What a manager creates belongs to that organizer."""
    if not (user and user.is_authenticated):
        return None
    if user.role == Role.ORGANIZER or is_admin(user):
        return user
    return _manager_of(user)


def _manager_of(user):
    membership = _membership(user)
    if membership is not None and membership.role == "manager":
        return membership.organizer
    return None


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


# --- Teams: who may act for an organizer

STAFF_ROLES = ("organizer", "manager", "scanner")


def team_role(user, organizer_id: int) -> str | None:
    """`organizer` (the organizer itself, or an admin), `manager`, `scanner`, or None."""
    if not (user and user.is_authenticated):
        return None
    if user.pk == organizer_id or is_admin(user):
        return "organizer"
    membership = _membership(user)
    if membership is not None and membership.organizer_id == organizer_id:
        return membership.role
    return None


def staff_organizer_ids(user) -> list[int] | None:
    """The organizers whose door `user` may work: None means every one (an admin)."""
    if is_admin(user):
        return None
    ids = [user.pk] if is_organizer(user) else []
    membership = _membership(user)
    if membership is not None:
        ids.append(membership.organizer_id)
    return ids


def is_staff_member(user) -> bool:
    """An organizer, an admin, or a member of some organizer's team."""
    return is_organizer(user) or _membership(user) is not None


def _membership(user):
    """The user's team membership, read once per request object."""
    if not (user and user.is_authenticated):
        return None
    if not hasattr(user, "_venue_membership"):
        # One team per user (a unique user column), so no ordering is needed; the
        # organizer is read only when a manager acts for it.
        user._venue_membership = next(iter(TeamMember.objects.filter(user=user)[:1]), None)
    return user._venue_membership


class IsTeamStaff(BasePermission):
    """Organizers, admins and team members; what each may reach is scoped by the view."""

    message = "Only an organizer's staff can do this."

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)
