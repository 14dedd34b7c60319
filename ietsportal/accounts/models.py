from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as uscc_check

from .enums import OrganizationType, Role
from .regions import REGION_CHOICES


def validate_uscc(value: str) -> None:
    """M§13(1): a valid unified social credit code, check digit included."""
    from django.core.exceptions import ValidationError

    if not uscc_check.is_valid(value or ""):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid unified social credit code (18 characters with a "
                "correct check digit)."
            ),
            params={"value": value[:40]},
            code="invalid_uscc",
        )


class Organization(models.Model):
    """An applicant organisation: an enterprise, public institution or association (M§4)."""

    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    org_type = models.CharField(
        _("organisation type"), max_length=24, choices=OrganizationType.choices
    )
    region = models.CharField(_("region of registration"), max_length=2, choices=REGION_CHOICES)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("evaluation institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="applicant_has_organization",
                condition=~models.Q(role="applicant") | models.Q(organization__isnull=False),
            ),
            models.CheckConstraint(
                name="institution_staff_has_institution",
                condition=~models.Q(role__in=["institution_admin", "assessor"])
                | models.Q(institution__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    # Predicates read as sentences (STYLE: permissions).
    @property
    def is_center_staff(self) -> bool:
        return self.is_active and self.role == Role.CENTER_STAFF

    @property
    def is_applicant(self) -> bool:
        return self.is_active and self.role == Role.APPLICANT

    @property
    def is_institution_admin(self) -> bool:
        return self.is_active and self.role == Role.INSTITUTION_ADMIN

    @property
    def is_assessor(self) -> bool:
        return self.is_active and self.role == Role.ASSESSOR

    @property
    def is_expert(self) -> bool:
        return self.is_active and self.role == Role.EXPERT
