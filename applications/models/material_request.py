from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MaterialRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        from .application import Application

        return self.filter(application__in=Application.objects.for_user(user))


class MaterialRequest(models.Model):
    """补正: the institution asks for more material with a message, the criteria concerned and
    a deadline; the applicant answers with a message and files (Evidence.material_request),
    then resubmits. Every request and answer is kept (M§24)."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="material_requests",
        verbose_name=_("application"),
    )
    message = models.TextField(_("what is needed"), max_length=5000)
    criteria = models.ManyToManyField(
        "rubrics.Criterion", blank=True, related_name="+", verbose_name=_("criteria concerned")
    )
    deadline = models.DateField(_("deadline"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"))
    answer = models.TextField(_("answer"), blank=True, max_length=5000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)

    objects = MaterialRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request for more material")
        verbose_name_plural = _("requests for more material")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(answered_at__isnull=True),
                name="one_open_material_request",
            ),
        ]
        indexes = [models.Index(fields=["answered_at", "deadline"])]

    def __str__(self) -> str:
        return f"{self.application_id} / {self.deadline}"

    def is_overdue(self, today) -> bool:
        return self.answered_at is None and today > self.deadline
