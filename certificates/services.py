import functools
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from applications.enums import EvaluationKind
from ietsportal.audit.services import audit_record, audit_records_bulk
from ietsportal.bulk import id_array

from .enums import (
    AnnualReviewState,
    CertificateStatus,
    DecisionKind,
    DecisionReason,
    Edition,
    ReconsiderationState,
    RequestKind,
    RequestState,
)
from .models import (
    AnnualReview,
    Certificate,
    CertificateDecision,
    CertificateRequest,
    Reconsideration,
)


def certificate_number_for(application) -> str:
    prefix = "IETS" if application.kind == EvaluationKind.GRADE else "ITAI"
    return f"{prefix}-{application.publicity_ends_at.year}-{application.pk:06d}"


def certificate_create_for(*, application, actor, now: datetime) -> Certificate:
    """M§14(5), M§15: one certificate per application, valid for 3 years from its issue.

    Runs inside the issue transition's transaction; the OneToOne column makes a second
    certificate for the same application impossible however the job is run."""
    issued_on = timezone.localdate(now)
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                number=certificate_number_for(application),
                application=application,
                organization_id=application.organization_id,
                institution_id=application.institution_id,
                kind=application.kind,
                grade=application.final_grade if application.kind == EvaluationKind.GRADE else "",
                issued_on=issued_on,
                expires_on=issued_on + relativedelta(years=settings.CERTIFICATE_VALIDITY_YEARS),
                status=CertificateStatus.VALID,
                status_changed_at=now,
            )
    except IntegrityError as exc:
        from django.utils.translation import gettext as _g

        from ietsportal.errors import Conflict

        raise Conflict(_g("A certificate already exists for this application.")) from exc
    queue_pdf_render(certificate.pk)
    audit_record(
        actor=actor,
        action="certificate.issue",
        obj=certificate,
        now=now,
        data={
            "number": certificate.number,
            "application": application.number,
            "grade": certificate.grade,
            "expires_on": certificate.expires_on,
        },
    )
    return certificate


JOB_BATCH = 5000  # certificates per transaction in the scheduled jobs (issue #8)


def _job_run(queryset, fields, work, *, locked=None) -> int:
    """Run `work(rows)` on the rows of `queryset` (as `fields` tuples, the pk first) in
    batches of `JOB_BATCH`, each batch locked (skip locked) in its own transaction, and return
    the sum of what `work` returned: memory stays flat and a crash loses at most one batch's
    work, which the next run redoes.

    The candidates are found in one pass (`_candidate_ids`), by whatever plan suits the job's
    condition; each batch then locks its rows by id and checks the condition again under the
    lock (`_locked_rows`: `queryset`'s, or `locked`'s when the job checks the rest itself), so
    a row another transaction changed meanwhile is skipped, not done twice. Foreign keys are
    checked as each statement ends, not at commit, so `work` — which writes the batch's audit
    entries last — holds the audit chain's head only for its own entries and the commit.

    On PostgreSQL, outside a transaction, `settings.JOB_WORKERS` batches run at once, each on
    a connection of its own (`_in_workers`): one batch's Python (rows, hashes) runs while
    another's statements run in the database, and the candidates are read meanwhile."""
    database = queryset.db
    connection = connections[database]

    def batch(chunk):  # runs in this thread or in a worker's, on that thread's connection
        with transaction.atomic(using=database):
            if connection.vendor == "postgresql":
                with connections[database].cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            rows = _locked_rows(queryset if locked is None else locked, fields, chunk)
            return work(rows) if rows else 0

    chunks = _candidate_ids(queryset, JOB_BATCH)
    workers = settings.JOB_WORKERS
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _in_workers(chunks, batch, workers)
    return sum(batch(chunk) for chunk in chunks)


def _locked_rows(queryset, fields, ids) -> list[tuple]:
    """The rows of `queryset` among `ids` that no other transaction holds, locked, by pk.
    The lock an UPDATE of columns no key uses takes (NO KEY UPDATE): a user's change of the
    same row waits for the batch, a row written meanwhile that refers to it does not."""
    return list(
        queryset.select_for_update(skip_locked=True, no_key=True)
        .filter(pk__in=id_array(ids))
        .order_by("pk")
        .values_list(*fields)
    )


def _in_workers(chunks, batch, workers: int) -> int:
    """`sum(batch(chunk) for chunk in chunks)`, `workers` batches at once, each worker thread
    on its own database connection (closed when it is done). The chunks are read in this
    thread, at most `workers` ahead. The first failure stops the run — batches that have
    committed stay done, as when a serial run fails — and is raised here."""
    import queue
    import threading

    from django.urls import get_script_prefix, set_script_prefix
    from django.utils import translation

    todo = queue.Queue(maxsize=workers)
    results, failures = [], []
    # the thread-local state a batch may read (links, texts), as in the calling thread
    prefix, language = get_script_prefix(), translation.get_language()

    def work():
        set_script_prefix(prefix)
        if language:
            translation.activate(language)
        try:
            while (chunk := todo.get()) is not None:
                if failures:
                    continue  # drain: the run is stopping
                try:
                    results.append(batch(chunk))
                except BaseException as exc:  # raised again by the run
                    failures.append(exc)
        finally:
            connections.close_all()  # this thread's connections

    threads = [threading.Thread(target=work, name=f"job-batch-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for chunk in chunks:
            if failures:
                break
            todo.put(chunk)
    finally:
        chunks.close()
        for _thread in threads:
            todo.put(None)
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return sum(results)


def _candidate_ids(queryset, size):
    """The primary keys of `queryset` in order, `size` at a time. On PostgreSQL a server-side
    cursor (WITH HOLD outside a transaction, so it outlives the batches' commits): one scan of
    the condition — an anti-join of a million rows done once, not once per batch with a LIMIT
    the planner would answer by walking the primary key (issue #8) — and a batch of ids in
    memory at a time. Elsewhere (SQLite, the demo) the ids are read first: a cursor there sees
    the batches' own writes."""
    from itertools import batched

    from django.db import DatabaseError

    ids = queryset.order_by("pk").values_list("pk", flat=True)
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        yield from batched(list(ids), size)
        return
    chunks = batched(ids.iterator(chunk_size=size), size)
    # The whole result is read: plan for all of it, not for the first tenth as PostgreSQL plans
    # a cursor (which walks the primary key to start fast), while the cursor is declared.
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1.0")
    try:
        first = next(chunks, None)
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET cursor_tuple_fraction")
        except DatabaseError:  # the transaction failed; the SET is undone with it
            pass
    if first:
        yield first
        yield from chunks


def _update_certificates(ids, numbers, **changes) -> int:
    """One UPDATE of the certificates `ids`; the public answers of `numbers` are forgotten
    (certificates/lookups.py) without selecting the numbers again, as
    `CertificateQuerySet.update` would."""
    from django.db.models import QuerySet

    from .lookups import PRIVATE_FIELDS, answers_forget_on_commit

    if not set(changes) <= PRIVATE_FIELDS:
        answers_forget_on_commit(numbers)
    return QuerySet.update(Certificate.objects.filter(pk__in=id_array(ids)), **changes)


def certificates_expire_due(*, now: datetime) -> int:
    """M§17: every valid certificate whose validity has ended lapses — set-based, idempotent,
    in batches of `JOB_BATCH` (one SELECT … FOR UPDATE, one UPDATE, one audit INSERT each)."""
    today = timezone.localdate(now)

    def expire(due):
        _update_certificates(
            [pk for pk, _n in due],
            [number for _pk, number in due],
            status=CertificateStatus.EXPIRED,
            status_changed_at=now,
        )
        return audit_records_bulk(
            actor=None,
            action="certificate.expire",
            model=Certificate,
            items=[(pk, {"number": number}) for pk, number in due],
            now=now,
        )

    due_now = Certificate.objects.filter(status=CertificateStatus.VALID, expires_on__lt=today)
    return _job_run(due_now, ["pk", "number"], expire)


DECISION_METHODS = {
    DecisionKind.SUSPEND: "suspend",
    DecisionKind.REVOKE: "revoke",
    DecisionKind.REINSTATE: "reinstate",
    DecisionKind.RESTORE: "restore",
}


def certificate_decide(
    *,
    number: str,
    actor,
    kind: str,
    grounds: str,
    explanation: str,
    now: datetime,
    evidence=None,
    reconsideration=None,
) -> Certificate:
    """M§19–20: the center suspends, revokes or reinstates a certificate, for one of the
    listed grounds, with an explanation and optional evidence. The issuing institution is told
    and relays the notice to the holder (`certificate_decision_relay`)."""
    from django.utils.translation import gettext as _g
    from django_fsm import can_proceed

    from ietsportal.errors import Conflict, InvalidInput, NotFound
    from ietsportal.uploads import upload_validate

    if actor is None or not actor.is_center_staff:
        raise NotFound()
    # Withdrawing a revocation, and the "reconsidered" grounds, belong to an upheld
    # reconsideration (M§20) alone.
    reconsidered = reconsideration is not None
    if kind not in DECISION_METHODS or (kind == DecisionKind.RESTORE and not reconsidered):
        raise InvalidInput(
            _g("Choose suspension, revocation or lifting a suspension."), field="kind"
        )
    if grounds not in DecisionReason.values or (
        (grounds == DecisionReason.RECONSIDERED) != reconsidered
    ):
        raise InvalidInput(_g("Choose the grounds of the decision (M§19)."), field="grounds")
    explanation = (explanation or "").strip()
    if not explanation:
        raise InvalidInput(_g("Reason is required."), field="reason")
    if len(explanation) > 5000:
        raise InvalidInput(_g("The explanation is longer than 5000 characters."), field="reason")
    evidence_name = ""
    if evidence is not None:
        evidence_name = upload_validate(
            evidence, max_bytes=settings.EVIDENCE_MAX_BYTES, field="evidence"
        ).name
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .select_related("organization")
            .filter(number=number)
            .first()
        )
        if certificate is None:
            raise NotFound()
        method = DECISION_METHODS[kind]
        if not can_proceed(getattr(certificate, method)):
            raise Conflict(
                _g("Not possible while the certificate is “%(status)s”.")
                % {"status": certificate.get_status_display()}
            )
        source = certificate.status
        getattr(certificate, method)()
        certificate.status_changed_at = now
        certificate.save()
        decision = CertificateDecision(
            certificate=certificate,
            kind=kind,
            reason=grounds,
            explanation=explanation,
            evidence_name=evidence_name,
            decided_by=actor,
            decided_at=now,
        )
        if evidence is not None:
            decision.evidence.save("decision", evidence, save=False)
        decision.save()
        audit_record(
            actor=actor,
            action=f"certificate.{method}",
            obj=certificate,
            now=now,
            data={
                "from": source,
                "to": certificate.status,
                "grounds": grounds,
                "reason": explanation,
                "decision": decision.pk,
            },
        )
        _notify_parties(
            certificate,
            key="certificate.decision_to_relay",
            params={"decision": decision.kind},
            now=now,
            institution=True,
        )
    return certificate


def _notify_parties(
    certificate,
    *,
    key: str,
    params: dict,
    now: datetime,
    institution=False,
    center=False,
    holder=False,
):
    """Notify the parties to a certificate: its institution's admins, the center, the holder."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from ietsportal.accounts.enums import Role
    from ietsportal.notifications.services import notification_create

    users = get_user_model().objects.filter(is_active=True)
    people = []
    if institution:
        people += list(
            users.filter(role=Role.INSTITUTION_ADMIN, institution_id=certificate.institution_id)
        )
    if center:
        people += list(users.filter(role=Role.CENTER_STAFF))
    if holder:
        people += list(_holders([certificate.pk]))
    notification_create(
        recipients=people,
        key=key,
        params={"certificate": certificate.number, **params},
        link=reverse("certificate-detail", args=[certificate.number]),
        now=now,
    )


def certificate_decision_relay(*, decision_id: int, actor, now: datetime) -> CertificateDecision:
    """M§20: the institution relays the center's decision to the holder (and says it did)."""
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, NotFound

    with transaction.atomic():
        decision = (
            CertificateDecision.objects.select_for_update()
            .select_related("certificate")
            .filter(pk=decision_id)
            .first()
        )
        if (
            decision is None
            or actor is None
            or not actor.is_institution_admin
            or actor.institution_id != decision.certificate.institution_id
        ):
            raise NotFound()
        if decision.relayed_at is not None:
            raise Conflict(_g("This decision has already been relayed to the holder."))
        decision.relayed_by, decision.relayed_at = actor, now
        decision.save(update_fields=["relayed_by", "relayed_at"])
        certificate = decision.certificate
        audit_record(
            actor=actor,
            action="certificate.decision_relay",
            obj=certificate,
            now=now,
            data={"decision": decision.pk, "kind": decision.kind},
        )
        _notify_parties(
            certificate,
            key="certificate.decision",
            params={"decision": decision.kind},
            now=now,
            holder=True,
        )
    return decision


def certificate_suspend(
    *, number: str, actor, reason: str, now: datetime, grounds: str = DecisionReason.NONCOMPLIANT
) -> Certificate:
    """M§19: the center suspends a certificate, with its reason."""
    return certificate_decide(
        number=number,
        actor=actor,
        kind=DecisionKind.SUSPEND,
        grounds=grounds,
        explanation=reason,
        now=now,
    )


def certificate_reinstate(
    *, number: str, actor, reason: str, now: datetime, grounds: str = DecisionReason.RESOLVED
) -> Certificate:
    """M§19: the center lifts a suspension."""
    return certificate_decide(
        number=number,
        actor=actor,
        kind=DecisionKind.REINSTATE,
        grounds=grounds,
        explanation=reason,
        now=now,
    )


def certificate_revoke(
    *, number: str, actor, reason: str, now: datetime, grounds: str = DecisionReason.NONCOMPLIANT
) -> Certificate:
    """M§19: the center revokes a certificate, with its reason."""
    return certificate_decide(
        number=number,
        actor=actor,
        kind=DecisionKind.REVOKE,
        grounds=grounds,
        explanation=reason,
        now=now,
    )


def certificate_pdf_ensure(*, certificate_id: int, force: bool = False) -> Certificate:
    """Render and store the PDF of the certificate's current version (idempotent)."""
    from django.core.files.base import ContentFile

    from .pdf import certificate_pdf

    certificate = Certificate.objects.select_related("organization", "institution").get(
        pk=certificate_id
    )
    if (
        not force
        and certificate.pdf
        and certificate.pdf_version == certificate.version
        and certificate.pdf.storage.exists(certificate.pdf.name)
    ):
        return certificate
    data = certificate_pdf(certificate)
    old = certificate.pdf.name if certificate.pdf else ""
    certificate.pdf.save(
        f"{certificate.number}-v{certificate.version}.pdf", ContentFile(data), save=False
    )
    certificate.pdf_version = certificate.version
    Certificate.objects.filter(pk=certificate.pk).update(
        pdf=certificate.pdf.name, pdf_version=certificate.version
    )
    if old and old != certificate.pdf.name:
        certificate.pdf.storage.delete(old)
    return certificate


def queue_pdf_render(certificate_id: int) -> None:
    """After commit, render the PDF in Celery; if the broker is down, the download renders it."""

    def _send():
        from .tasks import render_certificate_pdf

        try:
            render_certificate_pdf.delay(certificate_id)
        except Exception:
            import logging

            logging.getLogger(__name__).warning(
                "broker unavailable; PDF %s rendered later", certificate_id
            )

    transaction.on_commit(_send)


# ---- annual review (M§15, M§17)


def _holders(certificate_ids):
    from django.contrib.auth import get_user_model

    from ietsportal.accounts.enums import Role

    return (
        get_user_model()
        .objects.filter(
            role=Role.APPLICANT,
            is_active=True,
            organization__certificates__pk__in=id_array(certificate_ids),
        )
        .distinct()
    )


REVIEW_FIELDS = ["certificate", "year", "due_on", "deadline", "state", "materials", "decision_note"]


def _notify_about_certificates(*, via: str, role, certificate_ids, key, params, now, **more):
    """Tell, set-based and built by the database (issue #8), the active users of `role` that
    each certificate of `certificate_ids` reaches `via` its "organization" (the holder's
    applicants) or its "institution" (the issuing institution's admins), one notification
    per certificate and user. `params`: name → a path below the certificate (`"number"`,
    `"annual_reviews__due_on"`) or an expression; `more`: further conditions on the
    certificate, in the same join (`annual_reviews__year=1`). Returns the notifications'
    ids."""
    from django.contrib.auth import get_user_model
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Concat
    from django.urls import get_script_prefix

    from ietsportal.notifications.services import notifications_create_from

    below = f"{via}__certificates__"
    recipients = get_user_model().objects.filter(
        role=role,
        **{f"{below}pk__in": id_array(certificate_ids)},
        **{below + name: value for name, value in more.items()},
    )
    return notifications_create_from(
        recipients=recipients,
        key=key,
        params={
            name: F(below + value) if isinstance(value, str) else value
            for name, value in params.items()
        },
        # the certificate page's path (`reverse`): numbers need no quoting (checked in Meta)
        link=Concat(
            Value(_certificate_link_prefix(get_script_prefix())),
            F(f"{below}number"),
            Value("/"),
            output_field=CharField(),
        ),
        now=now,
    )


@functools.lru_cache(maxsize=8)
def _certificate_link_prefix(script_prefix: str) -> str:
    """The certificate page's path up to its number: reversed once, not per notification (the
    jobs link tens of thousands; issue #8)."""
    from django.urls import reverse

    return reverse("certificate-detail", args=["0"])[:-2]


def _anniversary(day, years: int):
    """`day + relativedelta(years=years)` without building one per certificate (issue #8):
    29 February falls on the 28th in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def annual_reviews_open_due(*, now: datetime) -> int:
    """M§15: open the review of each valid certificate whose anniversary is within the notice
    period; the holder is told the due date and the deadline. Set-based and idempotent, in
    batches of `JOB_BATCH` certificates, each batch opening whichever years are due for its
    certificates (issue #8)."""
    from datetime import timedelta

    from ietsportal.accounts.enums import Role
    from ietsportal.bulk import insert_rows

    today = timezone.localdate(now)
    notice = timedelta(days=settings.ANNUAL_REVIEW_NOTICE_DAYS)
    grace = timedelta(days=settings.ANNUAL_REVIEW_GRACE_DAYS)
    years = range(1, settings.CERTIFICATE_VALIDITY_YEARS)

    def open_reviews(due):
        # Asked again now that the certificates are locked: a run that held them a moment
        # ago may have opened their reviews and committed after the lock query's snapshot
        # (locking a row another transaction only locked does not re-check the condition).
        opened = set(
            AnnualReview.objects.filter(
                certificate_id__in=id_array([row[0] for row in due]), year__in=years
            ).values_list("certificate_id", "year")
        )
        reviews = []  # (certificate id, year, due on, deadline)
        for pk, issued_on, expires_on in due:
            for year in years:
                if (pk, year) in opened:
                    continue
                anniversary = _anniversary(issued_on, year)
                if anniversary >= expires_on or anniversary > today + notice:
                    continue
                reviews.append((pk, year, anniversary, max(anniversary, today) + grace))
        if not reviews:
            return 0
        insert_rows(
            AnnualReview,
            REVIEW_FIELDS,
            [
                (pk, year, due_on, deadline, AnnualReviewState.DUE.value, "", "")
                for pk, year, due_on, deadline in reviews
            ],
        )
        # the holders are told what the reviews just written say, joined in the database
        for year in sorted({year for _pk, year, _d, _l in reviews}):
            _notify_about_certificates(
                via="organization",
                role=Role.APPLICANT,
                certificate_ids=[pk for pk, y, _d, _l in reviews if y == year],
                annual_reviews__year=year,
                key="certificate.annual_review_due",
                params={
                    "certificate": "number",
                    "due_on": "annual_reviews__due_on",
                    "deadline": "annual_reviews__deadline",
                },
                now=now,
            )
        return audit_records_bulk(
            actor=None,
            action="certificate.annual_review_due",
            model=Certificate,
            items=[
                (pk, {"year": year, "due_on": due_on, "deadline": deadline})
                for pk, year, due_on, deadline in reviews
            ],
            now=now,
        )

    # The candidates of every year in one pass (a union of one anti-join a year, each an
    # index-only merge of the valid certificates with the reviews' unique index), so that the
    # batches of all the years share the workers: no second scan and no second tail.
    # One day of slack: going back N years from 28 February misses 29 February, whose
    # anniversary is 28 February; the exact test is on the anniversary above.
    valid = Certificate.objects.filter(status=CertificateStatus.VALID)
    due_in = [
        valid.filter(issued_on__lte=today + notice - relativedelta(years=year) + timedelta(days=1))
        .exclude(annual_reviews__year=year)
        .values("pk")
        for year in years
    ]
    candidates = valid.filter(pk__in=due_in[0].union(*due_in[1:]))
    # under the lock, the batch's certificates must still be valid; which years are open
    # by then, `open_reviews` asks
    return _job_run(candidates, ["pk", "issued_on", "expires_on"], open_reviews, locked=valid)


DECISION_FIELDS = [
    "certificate",
    "kind",
    "reason",
    "explanation",
    "evidence",
    "evidence_name",
    "decided_at",
]


def _revoke_many(*, certificate_ids: list[int], grounds: str, explanation: str, now: datetime):
    """Revoke certificates set-based (the scheduled jobs), with a decision each to relay."""
    from ietsportal.bulk import insert_rows

    rows = list(
        Certificate.objects.select_for_update()
        .filter(
            pk__in=id_array(certificate_ids),
            status__in=[CertificateStatus.VALID, CertificateStatus.SUSPENDED],
        )
        .values_list("pk", "number", "status")
    )
    if not rows:
        return 0
    _update_certificates(
        [r[0] for r in rows],
        [r[1] for r in rows],
        status=CertificateStatus.REVOKED,
        status_changed_at=now,
    )
    revoked = DecisionKind.REVOKE.value
    insert_rows(
        CertificateDecision,
        DECISION_FIELDS,
        [(pk, revoked, grounds, explanation, "", "", now) for pk, *_ in rows],
    )
    _notify_institutions_of_decisions([pk for pk, *_ in rows], DecisionKind.REVOKE, now)
    return audit_records_bulk(
        actor=None,
        action="certificate.revoke",
        model=Certificate,
        items=[
            (pk, {"number": n, "from": st, "to": "revoked", "grounds": grounds})
            for pk, n, st in rows
        ],
        now=now,
    )


def _notify_institutions_of_decisions(certificate_ids, kind, now):
    """M§20, set-based: each issuing institution's admins are told to relay the notice."""
    from django.db.models import Value

    from ietsportal.accounts.enums import Role

    _notify_about_certificates(
        via="institution",
        role=Role.INSTITUTION_ADMIN,
        certificate_ids=certificate_ids,
        key="certificate.decision_to_relay",
        params={"certificate": "number", "decision": Value(str(kind))},
        now=now,
    )


def annual_reviews_mark_overdue(*, now: datetime) -> int:
    """M§17: a review not submitted by its deadline is overdue and the certificate revoked.
    In batches of `JOB_BATCH` reviews, each its own transaction (issue #8)."""
    today = timezone.localdate(now)

    def mark(overdue):
        AnnualReview.objects.filter(pk__in=id_array([pk for pk, _c in overdue])).update(
            state=AnnualReviewState.OVERDUE
        )
        _revoke_many(
            certificate_ids=[c for _pk, c in overdue],
            grounds=DecisionReason.ANNUAL_REVIEW_MISSED,
            explanation="年度审查材料逾期未提交（M§17）。Annual review not submitted by its "
            "deadline (M§17).",
            now=now,
        )
        return len(overdue)

    late = AnnualReview.objects.filter(state=AnnualReviewState.DUE, deadline__lt=today)
    return _job_run(late, ["pk", "certificate_id"], mark)


def annual_review_submit(*, review_id: int, actor, materials: str, now: datetime):
    """M§15: the holder submits its annual materials."""
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    materials = (materials or "").strip()
    with transaction.atomic():
        review = (
            AnnualReview.objects.select_for_update()
            .select_related("certificate")
            .filter(pk=review_id)
            .first()
        )
        if (
            review is None
            or actor is None
            or not actor.is_applicant
            or actor.organization_id != review.certificate.organization_id
        ):
            raise NotFound()
        # Past its last day (grace included) a review is overdue, even before the job says so.
        if review.state != AnnualReviewState.DUE or timezone.localdate(now) > review.deadline:
            raise Conflict(_g("This annual review is not open for submission."))
        if not materials:
            raise InvalidInput(_g("Describe the annual materials."), field="materials")
        if len(materials) > 10000:
            raise InvalidInput(
                _g("The materials are longer than 10000 characters."), field="materials"
            )
        review.state, review.materials = AnnualReviewState.SUBMITTED, materials
        review.submitted_by, review.submitted_at = actor, now
        review.save(update_fields=["state", "materials", "submitted_by", "submitted_at"])
        audit_record(
            actor=actor,
            action="certificate.annual_review_submit",
            obj=review.certificate,
            now=now,
            data={"year": review.year},
        )
    return review


def annual_review_decide(*, review_id: int, actor, passed: bool, note: str, now: datetime):
    """M§15, M§17: the center passes or fails a submitted review; failed revokes."""
    from django.urls import reverse
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound
    from ietsportal.notifications.services import notification_create

    if actor is None or not actor.is_center_staff:
        raise NotFound()
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_g("Reason is required."), field="note")
    with transaction.atomic():
        review = (
            AnnualReview.objects.select_for_update()
            .select_related("certificate")
            .filter(pk=review_id)
            .first()
        )
        if review is None:
            raise NotFound()
        if review.state != AnnualReviewState.SUBMITTED:
            raise Conflict(_g("Only a submitted annual review can be decided."))
        review.state = AnnualReviewState.PASSED if passed else AnnualReviewState.FAILED
        review.decided_by, review.decided_at, review.decision_note = actor, now, note
        review.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        certificate = review.certificate
        audit_record(
            actor=actor,
            action="certificate.annual_review_decide",
            obj=certificate,
            now=now,
            data={"year": review.year, "result": review.state},
        )
        notification_create(
            recipients=_holders([certificate.pk]),
            key="certificate.annual_review_decided",
            params={"certificate": certificate.number, "result": review.state},
            link=reverse("certificate-detail", args=[certificate.number]),
            now=now,
        )
        if not passed:
            certificate_decide(
                number=certificate.number,
                actor=actor,
                kind=DecisionKind.REVOKE,
                grounds=DecisionReason.ANNUAL_REVIEW_FAILED,
                explanation=note,
                now=now,
            )
    return review


# ---- re-evaluation (M§16)


def reevaluation_window(certificate):
    """M§16: the 3 months before expiry."""
    return reevaluation_window_opens(certificate.expires_on), certificate.expires_on


@functools.lru_cache(maxsize=4096)
def reevaluation_window_opens(expires_on):
    """Three months before `expires_on` (cached: the reminders ask for tens of thousands of
    certificates, which share a few hundred expiry dates; a relativedelta each was a tenth of
    the job, issue #8)."""
    return expires_on - relativedelta(months=3)


def reevaluation_reminders(*, now: datetime) -> int:
    """M§16: tell holders once when the window opens and once a month before it closes.
    In batches of `JOB_BATCH` certificates, each its own transaction (issue #8)."""
    from datetime import timedelta

    from ietsportal.accounts.enums import Role

    today = timezone.localdate(now)
    # (flag, key, last expiry to look at, first day of the reminder for an expiry): the window
    # query takes 3 days of slack, since 3 months after 28 February is not 31 May.
    plans = [
        (
            "reevaluation_opened_notified",
            "certificate.reevaluation_open",
            today + relativedelta(months=3) + timedelta(days=3),
            reevaluation_window_opens,
        ),
        (
            "reevaluation_closing_notified",
            "certificate.reevaluation_closing",
            today + timedelta(days=30),
            lambda expires_on: expires_on - timedelta(days=30),
        ),
    ]

    def remind(batch, flag, key, starts):
        ids = [pk for pk, expires_on in batch if starts(expires_on) <= today]
        if not ids:
            return 0
        _update_certificates(ids, [], **{flag: True})
        _notify_about_certificates(
            via="organization",
            role=Role.APPLICANT,
            certificate_ids=ids,
            key=key,
            params={"certificate": "number", "expires_on": "expires_on"},
            now=now,
        )
        return len(ids)

    sent = 0
    for flag, key, horizon, starts in plans:
        qs = Certificate.objects.filter(
            status=CertificateStatus.VALID,
            expires_on__lte=horizon,
            expires_on__gte=today,
            **{flag: False},
        )
        if flag == "reevaluation_closing_notified":
            # only a re-evaluation still under way silences the reminder
            # (NOT EXISTS, probed by the index of `previous_certificate`: a NOT IN of every
            # certificate with a re-evaluation joined the whole register on each batch, #8)
            from django.db.models import Exists, OuterRef

            from applications.enums import CLOSED_STATES
            from applications.models import Application

            qs = qs.exclude(
                Exists(
                    Application.objects.filter(previous_certificate=OuterRef("pk")).exclude(
                        state__in=CLOSED_STATES
                    )
                )
            )
        sent += _job_run(
            qs,
            ["pk", "expires_on"],
            functools.partial(remind, flag=flag, key=key, starts=starts),
        )
    return sent


def certificate_replace_for(*, application, now: datetime) -> None:
    """M§16: the certificate of a passed re-evaluation replaces the one it re-evaluated."""
    if application.previous_certificate_id is None:
        return
    old = Certificate.objects.select_for_update().get(pk=application.previous_certificate_id)
    if old.status not in (CertificateStatus.VALID, CertificateStatus.SUSPENDED):
        return
    source = old.status
    Certificate.objects.filter(pk=old.pk).update(
        status=CertificateStatus.REPLACED, status_changed_at=now
    )
    audit_record(
        actor=None,
        action="certificate.replace",
        obj=old,
        now=now,
        data={"from": source, "to": "replaced", "by_application": application.number},
    )


# ---- changes and reissue (M§21–22)

REQUEST_DEADLINES = {RequestKind.CHANGE: 30, RequestKind.MAJOR_CHANGE: 90}


def certificate_request_file(
    *,
    number: str,
    actor,
    kind: str,
    details: str,
    now: datetime,
    changed_on=None,
    new_name: str = "",
) -> CertificateRequest:
    """M§21–22: the holder files a change or reissue request with the institution."""
    from datetime import timedelta

    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    if actor is None or not actor.is_applicant:
        raise NotFound()
    if kind not in RequestKind.values:
        raise InvalidInput(_g("Choose the kind of request."), field="kind")
    details, new_name = (details or "").strip(), (new_name or "").strip()
    if not details or len(details) > 5000:
        raise InvalidInput(_g("Describe the request (at most 5000 characters)."), field="details")
    if len(new_name) > 200:
        raise InvalidInput(_g("The new name is longer than 200 characters."), field="new_name")
    today = timezone.localdate(now)
    late = False
    if kind in REQUEST_DEADLINES:
        if changed_on is None:
            raise InvalidInput(_g("Give the date of the change."), field="changed_on")
        if changed_on > today:
            raise InvalidInput(
                _g("The date of the change cannot be in the future."), field="changed_on"
            )
        late = today > changed_on + timedelta(days=REQUEST_DEADLINES[kind])
    else:
        changed_on, new_name = None, ""
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .filter(number=number, organization_id=actor.organization_id)
            .first()
        )
        if certificate is None:
            raise NotFound()
        if certificate.status != CertificateStatus.VALID:
            raise Conflict(_g("Requests can be filed only for a valid certificate."))
        if certificate.requests.filter(
            state__in=[RequestState.FILED, RequestState.VERIFIED]
        ).exists():
            raise Conflict(_g("A request for this certificate is already open."))
        request = CertificateRequest.objects.create(
            certificate=certificate,
            kind=kind,
            changed_on=changed_on,
            details=details,
            new_name=new_name,
            late=late,
            filed_by=actor,
            filed_at=now,
        )
        audit_record(
            actor=actor,
            action="certificate.request_file",
            obj=certificate,
            now=now,
            data={"request": request.pk, "kind": kind, "late": late},
        )
        _notify_parties(
            request.certificate,
            key="certificate.request",
            params={"request": request.kind, "state": request.state},
            now=now,
            institution=True,
        )
    return request


def certificate_request_verify(
    *, request_id: int, actor, approve: bool, note: str, now: datetime
) -> CertificateRequest:
    """M§21–22: the institution verifies the request (核实) or rejects it."""
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    note = (note or "").strip()
    with transaction.atomic():
        request = (
            CertificateRequest.objects.select_for_update()
            .select_related("certificate")
            .filter(pk=request_id)
            .first()
        )
        if (
            request is None
            or actor is None
            or not actor.is_institution_admin
            or actor.institution_id != request.certificate.institution_id
        ):
            raise NotFound()
        if request.state != RequestState.FILED:
            raise Conflict(_g("This request is not waiting for verification."))
        if not note:
            raise InvalidInput(_g("Reason is required."), field="note")
        request.state = RequestState.VERIFIED if approve else RequestState.REJECTED
        request.verified_by, request.verified_at, request.verification_note = actor, now, note
        request.save(update_fields=["state", "verified_by", "verified_at", "verification_note"])
        audit_record(
            actor=actor,
            action="certificate.request_verify",
            obj=request.certificate,
            now=now,
            data={"request": request.pk, "state": request.state},
        )
        _notify_parties(
            request.certificate,
            key="certificate.request",
            params={"request": request.kind, "state": request.state},
            now=now,
            center=approve,
            holder=True,
        )
    return request


def certificate_request_decide(
    *, request_id: int, actor, approve: bool, note: str, now: datetime
) -> CertificateRequest:
    """M§21–22: the center approves a verified request and issues a new version (换发/补发):
    same number, version + 1, so older printed copies verify as superseded."""
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    if actor is None or not actor.is_center_staff:
        raise NotFound()
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_g("Reason is required."), field="note")
    with transaction.atomic():
        request = (
            CertificateRequest.objects.select_for_update()
            .select_related("certificate__organization")
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            raise NotFound()
        if request.state != RequestState.VERIFIED:
            raise Conflict(_g("Only a request verified by the institution can be decided."))
        certificate = Certificate.objects.select_for_update().get(pk=request.certificate_id)
        request.decided_by, request.decided_at, request.decision_note = actor, now, note
        if approve:
            if certificate.status != CertificateStatus.VALID:
                raise Conflict(_g("Requests can be filed only for a valid certificate."))
            edition = Edition.REISSUED if request.kind == RequestKind.REISSUE else Edition.CHANGED
            if request.new_name:
                organization = certificate.organization
                old_name = organization.name
                organization.name = request.new_name
                organization.save(update_fields=["name"])
                audit_record(
                    actor=actor,
                    action="organization.rename",
                    obj=organization,
                    now=now,
                    data={"from": old_name, "to": request.new_name},
                )
            Certificate.objects.filter(pk=certificate.pk).update(
                version=certificate.version + 1, edition=edition, status_changed_at=now
            )
            request.state, request.resulting_version = (
                RequestState.APPROVED,
                certificate.version + 1,
            )
            action = "certificate.reissue" if edition == Edition.REISSUED else "certificate.change"
            audit_record(
                actor=actor,
                action=action,
                obj=certificate,
                now=now,
                data={"request": request.pk, "version": certificate.version + 1},
            )
            queue_pdf_render(certificate.pk)
        else:
            request.state = RequestState.REJECTED
        request.save(
            update_fields=[
                "state",
                "decided_by",
                "decided_at",
                "decision_note",
                "resulting_version",
            ]
        )
        audit_record(
            actor=actor,
            action="certificate.request_decide",
            obj=certificate,
            now=now,
            data={"request": request.pk, "state": request.state},
        )
        _notify_parties(
            request.certificate,
            key="certificate.request",
            params={"request": request.kind, "state": request.state},
            now=now,
            institution=True,
            holder=True,
        )
    return request


# ---- reconsideration (M§20)


def reconsideration_file(*, decision_id: int, actor, grounds: str, now: datetime):
    """M§20: the holder asks for reconsideration of a suspension or revocation it was told of,
    through the institution."""
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    grounds = (grounds or "").strip()
    with transaction.atomic():
        decision = (
            CertificateDecision.objects.select_for_update()
            .select_related("certificate")
            .filter(pk=decision_id)
            .first()
        )
        if (
            decision is None
            or actor is None
            or not actor.is_applicant
            or actor.organization_id != decision.certificate.organization_id
        ):
            raise NotFound()
        if decision.kind not in (DecisionKind.SUSPEND, DecisionKind.REVOKE):
            raise Conflict(_g("Only a suspension or a revocation can be reconsidered."))
        if decision.relayed_at is None:
            raise Conflict(_g("The institution has not relayed this decision to you yet."))
        if decision.reconsiderations.filter(
            state__in=[ReconsiderationState.FILED, ReconsiderationState.FORWARDED]
        ).exists():
            raise Conflict(_g("A reconsideration of this decision is already under way."))
        if not grounds or len(grounds) > 5000:
            raise InvalidInput(
                _g("Give the grounds of your request (at most 5000 characters)."), field="grounds"
            )
        item = Reconsideration.objects.create(
            decision=decision, grounds=grounds, filed_by=actor, filed_at=now
        )
        audit_record(
            actor=actor,
            action="certificate.reconsideration_file",
            obj=decision.certificate,
            now=now,
            data={"reconsideration": item.pk, "decision": decision.pk},
        )
        _notify_parties(
            item.decision.certificate,
            key="certificate.reconsideration",
            params={"state": item.state},
            now=now,
            institution=True,
        )
    return item


def reconsideration_forward(*, reconsideration_id: int, actor, note: str, now: datetime):
    """M§20: the institution forwards the request to the center, with its note."""
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    note = (note or "").strip()
    with transaction.atomic():
        item = (
            Reconsideration.objects.select_for_update()
            .select_related("decision__certificate")
            .filter(pk=reconsideration_id)
            .first()
        )
        if (
            item is None
            or actor is None
            or not actor.is_institution_admin
            or actor.institution_id != item.decision.certificate.institution_id
        ):
            raise NotFound()
        if item.state != ReconsiderationState.FILED:
            raise Conflict(_g("This request is not waiting for the institution."))
        if not note:
            raise InvalidInput(_g("Reason is required."), field="note")
        item.state = ReconsiderationState.FORWARDED
        item.forwarded_by, item.forwarded_at, item.forward_note = actor, now, note
        item.save(update_fields=["state", "forwarded_by", "forwarded_at", "forward_note"])
        audit_record(
            actor=actor,
            action="certificate.reconsideration_forward",
            obj=item.decision.certificate,
            now=now,
            data={"reconsideration": item.pk},
        )
        _notify_parties(
            item.decision.certificate,
            key="certificate.reconsideration",
            params={"state": item.state},
            now=now,
            center=True,
            holder=True,
        )
    return item


def reconsideration_decide(
    *, reconsideration_id: int, actor, upheld: bool, reply: str, now: datetime
):
    """M§20: the center upholds (the suspension is lifted, the revocation withdrawn) or
    dismisses the request, with a written reply to the holder and the institution."""
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    if actor is None or not actor.is_center_staff:
        raise NotFound()
    reply = (reply or "").strip()
    if not reply:
        raise InvalidInput(_g("Write the reply."), field="reply")
    with transaction.atomic():
        item = (
            Reconsideration.objects.select_for_update()
            .select_related("decision__certificate")
            .filter(pk=reconsideration_id)
            .first()
        )
        if item is None:
            raise NotFound()
        if item.state != ReconsiderationState.FORWARDED:
            raise Conflict(_g("Only a request forwarded by the institution can be decided."))
        item.state = ReconsiderationState.UPHELD if upheld else ReconsiderationState.DISMISSED
        item.decided_by, item.decided_at, item.reply = actor, now, reply
        item.save(update_fields=["state", "decided_by", "decided_at", "reply"])
        certificate = item.decision.certificate
        audit_record(
            actor=actor,
            action="certificate.reconsideration_decide",
            obj=certificate,
            now=now,
            data={"reconsideration": item.pk, "state": item.state},
        )
        certificate.refresh_from_db(fields=["status"])
        undo = {
            (DecisionKind.SUSPEND, CertificateStatus.SUSPENDED): DecisionKind.REINSTATE,
            (DecisionKind.REVOKE, CertificateStatus.REVOKED): DecisionKind.RESTORE,
        }.get((item.decision.kind, certificate.status))
        if upheld and undo:
            certificate_decide(
                number=certificate.number,
                actor=actor,
                kind=undo,
                grounds=DecisionReason.RECONSIDERED,
                explanation=reply,
                now=now,
                reconsideration=item,
            )
        _notify_parties(
            item.decision.certificate,
            key="certificate.reconsideration",
            params={"state": item.state},
            now=now,
            institution=True,
            holder=True,
        )
    return item
