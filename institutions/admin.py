from django.contrib import admin

from .models import (
    Assessor,
    ConflictDeclaration,
    Designation,
    DesignationOpinion,
    Expert,
    Institution,
    SupervisionAction,
)


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "region", "state", "staffing_short_since")
    list_filter = ("level", "state")
    search_fields = ("name", "uscc")


@admin.register(Assessor)
class AssessorAdmin(admin.ModelAdmin):
    list_display = ("registration_number", "full_name", "id_number_masked", "institution", "state")
    list_filter = ("state", "full_time", "contract_type")
    search_fields = ("full_name", "registration_number")
    # The encrypted ID number and its HMAC are never shown or edited here.
    exclude = ("id_number_encrypted", "id_number_hash")
    readonly_fields = ("id_number_masked",)


@admin.register(Designation)
class DesignationAdmin(admin.ModelAdmin):
    list_display = ("institution", "organization", "submitted_at", "decided_at")


@admin.register(DesignationOpinion)
class DesignationOpinionAdmin(admin.ModelAdmin):
    list_display = ("designation", "expert", "approves", "submitted_at")


@admin.register(SupervisionAction)
class SupervisionActionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "institution", "assessor", "grounds")
    list_filter = ("kind", "grounds")


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = ("user", "fields_of_expertise", "employer_name", "available")
    list_filter = ("available",)


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(admin.ModelAdmin):
    list_display = ("person", "organization", "declared_at")
