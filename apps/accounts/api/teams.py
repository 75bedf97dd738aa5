"""The organizer's team (docs/api.md "Door check-in"): list, add, remove members."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.models import TeamMember, User
from apps.accounts.permissions import IsTeamStaff, acting_organizer

from .serializers import TeamMemberInSerializer, TeamMemberSerializer


def team_owner(request) -> User:
    """The organizer whose team the caller manages: itself, or the one it is a manager for."""
    owner = acting_organizer(request.user)
    if owner is None:
        raise PermissionDenied("Only the organizer and its managers manage the team.")
    return owner


class TeamMembersView(APIView):
    permission_classes = [IsTeamStaff]

    @extend_schema(responses={200: TeamMemberSerializer(many=True)})
    def get(self, request):
        members = TeamMember.objects.filter(organizer=team_owner(request)).select_related("user")
        return Response(TeamMemberSerializer(members, many=True).data)

    @extend_schema(
        request=TeamMemberInSerializer,
        responses={
            201: TeamMemberSerializer,
            400: OpenApiResponse(
                description="`user_not_found` (no active account with that email), "
                "`team_member_exists` (already works for an organizer), `team_member_invalid`"
            ),
            403: OpenApiResponse(description="a scanner, or a manager adding a manager"),
        },
    )
    def post(self, request):
        data = TeamMemberInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.team_member_add(
            organizer=team_owner(request), by=request.user, **data.validated_data
        )
        return Response(TeamMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class TeamMemberDetailView(APIView):
    permission_classes = [IsTeamStaff]

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Removed; effective at once."),
            403: OpenApiResponse(description="a scanner, or a manager removing a manager"),
            404: OpenApiResponse(description="not a member of your team"),
        }
    )
    def delete(self, request, member_id: int):
        member = get_object_or_404(TeamMember, pk=member_id, organizer=team_owner(request))
        services.team_member_remove(member=member, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
