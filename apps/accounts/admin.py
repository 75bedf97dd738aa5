from django.contrib import admin

from .models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Users by email. Passwords are never shown or edited here (`manage.py changepassword`)."""

    list_display = ["email", "full_name", "role", "is_active", "is_staff", "date_joined"]
    list_filter = ["role", "is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    fields = [
        "email",
        "full_name",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "date_joined",
        "last_login",
    ]
    readonly_fields = ["date_joined", "last_login"]
    filter_horizontal = ["groups"]

    def has_add_permission(self, request):
        return False  # accounts are made by registration, `createsuperuser` or seed_demo
