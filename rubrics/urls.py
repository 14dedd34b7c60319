"""The center's rubric editing pages (M§3): `rubrics:…`."""

from django.urls import path

from . import views_manage as v

app_name = "rubrics"

urlpatterns = [
    path("", v.RubricManageListView.as_view(), name="manage-list"),
    path("new/", v.RubricDraftCreateView.as_view(), name="draft-create"),
    path("<int:pk>/", v.RubricEditView.as_view(), name="edit"),
    path("<int:pk>/criteria/new/", v.CriterionEditView.as_view(), name="criterion-create"),
    path("<int:pk>/criteria/<int:cid>/", v.CriterionEditView.as_view(), name="criterion-edit"),
    path(
        "<int:pk>/criteria/<int:cid>/delete/",
        v.CriterionDeleteView.as_view(),
        name="criterion-delete",
    ),
    path("<int:pk>/thresholds/", v.ThresholdsView.as_view(), name="thresholds"),
    path("<int:pk>/publish/", v.RubricPublishView.as_view(), name="publish"),
    path("<int:pk>/discard/", v.RubricDiscardView.as_view(), name="discard"),
]
