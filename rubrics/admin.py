from django.contrib import admin

from .models import Criterion, GradeThreshold, Rubric


class _DraftInline(admin.TabularInline):
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_editable

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class CriterionInline(_DraftInline):
    model = Criterion


class GradeThresholdInline(_DraftInline):
    model = GradeThreshold


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "version", "state", "is_sample", "published_at")
    list_filter = ("kind", "state")
    readonly_fields = ("state", "published_at", "created_at", "created_by", "version", "kind")
    inlines = [CriterionInline, GradeThresholdInline]

    def has_add_permission(self, request):
        return False  # new versions come from rubrics.services.rubric_draft_create
