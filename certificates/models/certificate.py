from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from applications.enums import EvaluationKind, Grade

from ..enums import CertificateStatus as C
from ..enums import Edition


class CertificateQuerySet(models.QuerySet):
    def for_user(self, user):
        """Private views of certificates: the holder, the issuing institution, the center."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_center_staff:
            return self.all()
        if user.is_applicant:
            return self.filter(organization_id=user.organization_id)
        if user.is_institution_admin:
            return self.filter(institution_id=user.institution_id)
        return self.none()

    def update(self, **kwargs):
        """Every set-based write forgets the cached public answers of the rows it changes
        (certificates/lookups.py), unless it touches only fields the public never sees."""
        from ..lookups import PRIVATE_FIELDS, answers_forget_on_commit

        if set(kwargs) <= PRIVATE_FIELDS:
            return super().update(**kwargs)
        numbers = list(self.values_list("number", flat=True))
        answers_forget_on_commit(numbers)
        return super().update(**kwargs)

    update.alters_data = True

    def lookup(self, query: str):
        """Public search (M§14(5)): exact number, exact USCC, or part of the holder's name —
        of at most HOLDER_CAP holders (`lookup_holders`)."""
        return self.lookup_search(query)[0]

    def lookup_search(self, query: str):
        """`lookup`, and whether the name matched more than HOLDER_CAP holders (then only the
        first HOLDER_CAP by name are searched, and the visitor is asked for more of it)."""
        holders, truncated = lookup_holders(query)
        # A union of two index scans (issue #8): the number by its unique index (numbers are
        # upper case, a constraint says so), the holders' certificates by their organisation —
        # an OR across the join would read the whole register.
        by_number = Certificate.objects.filter(number=query.strip().upper()).values("pk")
        by_holder = Certificate.objects.filter(organization_id__in=holders).values("pk")
        return self.filter(pk__in=by_number.union(by_holder)), truncated


# A common word (科技, 智能科技) names tens of thousands of holders: reading and sorting all
# their certificates for one page took ~2 s at a million certificates (issue #8). The first
# HOLDER_CAP holders by name are searched, and the page says the search was too broad.
HOLDER_CAP = 200


def lookup_holders(query: str) -> tuple[list[int], bool]:
    """The holders a public search matches — the USCC exactly or part of the name (the trigram
    index of migration certificates/0006) —, at most HOLDER_CAP by name, and whether more
    matched."""
    from ietsportal.accounts.models import Organization

    query = query.strip()
    ids = list(
        Organization.objects.filter(models.Q(uscc=query.upper()) | models.Q(name__icontains=query))
        .order_by("name", "pk")
        .values_list("pk", flat=True)[: HOLDER_CAP + 1]
    )
    return ids[:HOLDER_CAP], len(ids) > HOLDER_CAP


class Certificate(ConcurrentTransitionMixin, models.Model):
    # Unique by a constraint (Meta), not `unique=True`, which on PostgreSQL adds a second
    # index for LIKE 'prefix%' that no query uses and every write maintains (issue #8).
    number = models.CharField(_("certificate number"), max_length=32)
    application = models.OneToOneField(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="certificate",
        verbose_name=_("application"),
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("holder"),
        db_index=False,  # the index on (organization, status) serves it (issue #8)
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("evaluation institution"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EvaluationKind.choices)
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("valid until"))
    status = FSMField(_("status"), max_length=16, choices=C.choices, default=C.VALID)
    status_changed_at = models.DateTimeField(_("status since"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    edition = models.CharField(
        _("edition"), max_length=16, choices=Edition.choices, default=Edition.ORIGINAL
    )
    pdf = models.FileField(_("certificate PDF"), upload_to="certificates/", blank=True)
    pdf_version = models.PositiveSmallIntegerField(
        _("version the PDF shows"), null=True, blank=True
    )
    # M§16 reminders, sent once each: when the re-evaluation window opens and before it closes.
    reevaluation_opened_notified = models.BooleanField(default=False)
    reevaluation_closing_notified = models.BooleanField(default=False)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_on"]),
            models.Index(fields=["organization", "status"]),
            # The valid certificates in order, with their issue date: the annual reviews'
            # candidates are a merge of this with the reviews' unique index, an index-only
            # scan of half the register instead of a walk of the whole table (issue #8). A
            # certificate that lapses or is revoked adds no entry.
            models.Index(
                fields=["id", "issued_on"],
                condition=models.Q(status=C.VALID),
                name="certificate_valid",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="certificate_number_unique"),
            # Numbers are upper-case letters, digits and hyphens (certificate_number_for): a
            # lookup in any case is an exact lookup of its upper case by the unique index, no
            # second index of the number for every change of a certificate to write; and a
            # number is its own path segment, so the jobs build links in the database
            # (issue #8).
            models.CheckConstraint(
                name="certificate_number_format",
                condition=models.Q(number__regex=r"^[A-Z0-9-]+$"),
            ),
            models.CheckConstraint(
                name="certificate_validity_order",
                condition=models.Q(expires_on__gt=models.F("issued_on")),
            ),
            models.CheckConstraint(
                name="certificate_grade_matches_kind",
                condition=(models.Q(kind="grade") & ~models.Q(grade=""))
                | models.Q(kind="innovation", grade=""),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def reconsiderations(self):
        """M§20: the reconsideration requests against this certificate's decisions."""
        from .reconsideration import Reconsideration

        return Reconsideration.objects.filter(decision__certificate=self)

    @property
    def is_current(self) -> bool:
        return self.status == C.VALID

    @transition(field=status, source=C.VALID, target=C.EXPIRED)
    def expire(self):
        """M§17: a certificate lapses when its validity ends."""

    @transition(field=status, source=C.VALID, target=C.SUSPENDED)
    def suspend(self):
        """M§19."""

    @transition(field=status, source=C.SUSPENDED, target=C.VALID)
    def reinstate(self):
        """M§19: a suspension lifted."""

    @transition(field=status, source=[C.VALID, C.SUSPENDED], target=C.REVOKED)
    def revoke(self):
        """M§17, M§19."""

    @transition(field=status, source=C.REVOKED, target=C.VALID)
    def restore(self):
        """M§20: a revocation withdrawn when the holder's reconsideration is upheld."""

    @transition(field=status, source=[C.VALID, C.SUSPENDED], target=C.REPLACED)
    def replace(self):
        """M§16, M§21–22: superseded by re-evaluation, 换发 or 补发."""
