"""The Django admin, for admins and organizers alike, writing only through services.

Admins (role `admin` or superusers) see everything. An organizer logs in at `/admin/`
too, and sees and changes only its own objects: each `ServiceAdmin` names the lookup
from its model to the owning organizer (`owner_field`), which filters the change
lists, the objects reachable by URL (another organizer's are a 404, as in the API)
and the choices of every foreign key. A model without an `owner_field` is the
admins' alone.

Writes never go to `Model.save()`/`delete()` from here: a `ServiceAdmin` that lets
anyone add, change or delete implements `service_save`/`service_delete` with the
app's services, and a refusal of a service (an `ApplicationError`) is shown as an
error; each service owns its transaction, so a refused change writes nothing.
"""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpResponseRedirect

from apps.core.exceptions import ApplicationError

from .models import User
from .permissions import acting_organizer, is_admin, is_organizer


def _scoped(request) -> bool:
    """An organizer (or its manager) that is not an admin: sees its own objects only."""
    return is_organizer(request.user) and not is_admin(request.user)


class VenueAdminAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not (user.is_active and (user.is_staff or is_organizer(user))):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class VenueAdminSite(admin.AdminSite):
    site_header = "VENUE administration"
    site_title = "VENUE admin"
    login_form = VenueAdminAuthenticationForm

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or is_organizer(user))


class ServiceWrites:
    """The writes of a model admin, through services: `save_model`, `delete_model`,
    `delete_queryset` and the change/delete views call `service_save`/`service_delete`,
    and a refusal of a service (an `ApplicationError`) is shown as an error."""

    # --- what a writer implements

    def service_save(self, request, obj, form, change: bool):
        """Create or change `obj` through a service; return the saved object."""
        raise NotImplementedError(f"{type(self).__name__} has no service for saving")

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no service for deleting")

    @staticmethod
    def changed_fields(form) -> dict:
        """The form's changed model fields and their new values."""
        model_fields = {f.name for f in form._meta.model._meta.get_fields()}
        return {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in model_fields and name in form.cleaned_data
        }

    # --- the hooks of ModelAdmin, wired to the services

    def save_model(self, request, obj, form, change) -> None:
        saved = self.service_save(request, obj, form, change)
        # The admin goes on with `obj` (messages, logs, redirects): make it the saved row.
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change) -> None:
        form.save_m2m()  # inlines are read-only here; m2m fields belong to the saved row

    def delete_model(self, request, obj) -> None:
        self.service_delete(request, obj)

    def _refused(self, request, exc: ApplicationError):
        self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    # ModelAdmin wraps these views in a transaction; here each service owns its own
    # (services open theirs with `durable=True`, which cannot nest), so the views call
    # the undecorated bodies, keeping the CSRF check.

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None:
            self._object_or_404(request, object_id)
        try:
            return self._changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            return self._refused(request, exc)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        try:
            return self._delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            return self._refused(request, exc)

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset) -> None:
        """Each object through its service, in its own transaction; refusals are listed."""
        for obj in queryset:
            try:
                self.service_delete(request, obj)
            except ApplicationError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)

    def _object_or_404(self, request, object_id) -> None:
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such object of yours.")


class ServiceAdmin(ServiceWrites, admin.ModelAdmin):
    """A model admin scoped to the organizer and writing through services.

    `owner_field`: the lookup to the owning organizer (`"organizer"`,
    `"slot__event__organizer"`), or `None` for the admins' models.
    `organizer_actions`: what an organizer may do with its own objects.
    """

    owner_field: str | None = None
    organizer_actions: frozenset[str] = frozenset({"view", "add", "change", "delete"})

    # --- scope

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not _scoped(request):
            return queryset
        if self.owner_field is None:
            return queryset.none()
        return queryset.filter(**{self.owner_field: acting_organizer(request.user)})

    def _organizer_may(self, request, action: str, obj=None) -> bool:
        if self.owner_field is None or action not in self.organizer_actions:
            return False
        if obj is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request) -> bool:
        if _scoped(request):
            return self.owner_field is not None
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if _scoped(request):
            return self._organizer_may(request, "view", obj)
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        if _scoped(request):
            return self._organizer_may(request, "add")
        return super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        if _scoped(request):
            return self._organizer_may(request, "change", obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if _scoped(request):
            return self._organizer_may(request, "delete", obj)
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if _scoped(request):
            queryset = self._choices_for(db_field.related_model, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _choices_for(self, model: type[models.Model], request):
        """An organizer picks only its own objects (and itself as the owner)."""
        if model is User:
            return User.objects.filter(pk=acting_organizer(request.user).pk)
        related_admin = self.admin_site._registry.get(model)
        if isinstance(related_admin, ServiceAdmin) and related_admin.owner_field:
            return model._default_manager.filter(
                **{related_admin.owner_field: acting_organizer(request.user)}
            )
        return None  # a shared model (the movie catalog): any row


class ReadOnlyAdmin(ServiceAdmin):
    """Rows that only services write, shown for reading: no add, change or delete here."""

    organizer_actions = frozenset({"view"})

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Related rows shown on their parent's page for reading; they change elsewhere."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [*(self.fields or []), *self.readonly_fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
