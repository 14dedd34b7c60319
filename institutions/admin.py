from django.contrib import admin

from .models import Assessor, Institution


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "region", "state")
    list_filter = ("level", "state")
    search_fields = ("name", "uscc")


@admin.register(Assessor)
class AssessorAdmin(admin.ModelAdmin):
    list_display = ("registration_number", "user", "institution", "full_time", "state")
    list_filter = ("state", "full_time")
