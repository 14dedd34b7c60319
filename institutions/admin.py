from django.contrib import admin

from .models import Assessor, ConflictDeclaration, Expert, Institution


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "region", "state")
    list_filter = ("level", "state")
    search_fields = ("name", "uscc")


@admin.register(Assessor)
class AssessorAdmin(admin.ModelAdmin):
    list_display = ("registration_number", "user", "institution", "full_time", "state")
    list_filter = ("state", "full_time")


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = ("user", "fields_of_expertise", "employer_name", "available")
    list_filter = ("available",)


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(admin.ModelAdmin):
    list_display = ("person", "organization", "declared_at")
