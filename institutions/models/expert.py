from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Expert(models.Model):
    """M§8: a member of the center's expert pool, drawn for application reviews (M§14(3)) and
    institution designations (R§13)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="expert_profile",
        verbose_name=_("user"),
    )
    fields_of_expertise = models.CharField(_("fields of expertise"), max_length=300, blank=True)
    employer = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("employer"),
        help_text=_("The expert is never drawn for an application of their employer."),
    )
    employer_name = models.CharField(_("employer name"), max_length=200, blank=True)
    available = models.BooleanField(_("available"), default=True)
    max_open_reviews = models.PositiveSmallIntegerField(
        _("maximum open reviews"),
        default=5,
        help_text=_("The draw skips an expert who already has this many reviews open."),
    )

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return str(self.user)


class ConflictDeclaration(models.Model):
    """M§8, M§14: a person (expert or assessor) declares a conflict of interest with an
    organisation; they are then never assigned or drawn for its applications."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conflict_declarations",
        verbose_name=_("person"),
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="declared_conflicts",
        verbose_name=_("organisation"),
    )
    reason = models.TextField(_("reason"))
    declared_at = models.DateTimeField(_("declared at"))

    class Meta:
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization"], name="conflict_person_organization_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ↔ {self.organization}"
