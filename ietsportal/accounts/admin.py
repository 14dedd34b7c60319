from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Organization, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("IETS", {"fields": ("role", "display_name", "organization", "institution")}),
    )
    list_display = ("username", "display_name", "role", "organization", "institution")
    list_filter = ("role",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "org_type", "region")
    search_fields = ("name", "uscc")
