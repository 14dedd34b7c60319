"""M§24: the audit log is append-only and hash-chained, written in the transaction of the change
it records; `verify_audit_log` names the first modified, deleted or inserted entry."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from applications.enums import ApplicationState as S
from certificates.models import Certificate
from ietsportal.audit.models import GENESIS_HASH, AuditEntry, AuditHead, entry_hash
from ietsportal.audit.services import audit_record
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted

from .conftest import T0, needs_postgres


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    return out.getvalue().strip()


def chain() -> list[tuple]:
    return list(AuditEntry.objects.order_by("seq").values_list("seq", "action", "hash"))


def head() -> tuple:
    h = AuditHead.objects.get()
    return h.seq, h.hash


# ---- written with the change, in its transaction


def test_audit_each_transition_writes_one_chained_entry(flow, world):
    app = flow.to(flow.draft(), S.ISSUED)
    entries = list(
        AuditEntry.objects.filter(
            object_type="applications.application", object_id=str(app.pk)
        ).order_by("seq")
    )
    assert [e.action for e in entries] == [
        "application.create",
        "evidence.add",
        "application.submit",
        "application.accept",
        "application.finish_document_review",
        "application.file_report",
        "application.start_expert_review",
        *["application.expert_declaration", "application.expert_opinion"] * 3,
        "application.confirm",
        "application.issue",
    ]
    transitions = [(e.data["from"], e.data["to"]) for e in entries if "from" in e.data]
    assert transitions == [
        ("draft", "submitted"),
        ("submitted", "document_review"),
        ("document_review", "onsite_review"),
        ("onsite_review", "reported"),
        ("reported", "expert_review"),
        ("expert_review", "publicity"),
        ("publicity", "issued"),
    ]
    assert [e.actor_name for e in entries if "from" in e.data] == [
        "applicant",
        "inst-a",
        "a-assessor1",
        "a-assessor1",
        "center",
        "center",
        "system",
    ]
    everything = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in everything] == list(range(1, len(everything) + 1))
    assert [e.prev_hash for e in everything] == [GENESIS_HASH] + [e.hash for e in everything[:-1]]
    assert head() == (everything[-1].seq, everything[-1].hash)
    assert verify() == f"audit log intact: {len(everything)} entries"


@pytest.mark.parametrize(
    ("name", "who", "error"),
    [
        ("accept", "inst_admin", Conflict),  # wrong state: still a draft
        ("submit", "other_applicant", NotPermitted),  # wrong user
        ("submit", "applicant", InvalidInput),  # condition: no evidence (M§13(4))
        ("no_such_step", "applicant", NotFound),
    ],
)
def test_audit_refused_transition_adds_no_entry(flow, world, name, who, error):
    app = flow.draft(evidence=False)
    before, before_head = chain(), head()
    with pytest.raises(error):
        flow.fire(app, name, getattr(world, who), T0 + timedelta(minutes=5))
    app.refresh_from_db()
    assert (app.state, chain(), head()) == (S.DRAFT, before, before_head)


def test_audit_entry_rolls_back_with_a_failed_issue(flow, world):
    """The issue step writes its entry, then finds a certificate already there: the entry
    goes with the rest of the transaction."""
    app = flow.to(flow.draft(), S.PUBLICITY)
    ends = app.publicity_ends_at
    Certificate.objects.create(
        number="IETS-EXISTING-1",
        application=app,
        organization=app.organization,
        institution=app.institution,
        kind="grade",
        grade="IETS-3",
        issued_on=ends.date(),
        expires_on=ends.date() + relativedelta(years=3),
        status_changed_at=ends,
    )
    before, before_head = chain(), head()
    with pytest.raises(Conflict):
        flow.fire(app, "issue", world.center, ends + timedelta(seconds=1))
    app.refresh_from_db()
    assert (app.state, chain(), head()) == (S.PUBLICITY, before, before_head)


def test_audit_entry_belongs_to_the_callers_transaction(flow, world):
    app = flow.draft()
    before, before_head = chain(), head()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        flow.fire(app, "submit", world.applicant, T0 + timedelta(minutes=1))
        assert [a for _, a, _ in chain()[len(before) :]] == ["application.submit"]
        raise Abort
    app.refresh_from_db()
    assert (app.state, chain(), head()) == (S.DRAFT, before, before_head)


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_write_outside_a_transaction(world):
    with pytest.raises(RuntimeError, match="must run inside the transaction"):
        audit_record(actor=world.center, action="test.outside", obj=world.org, now=T0)
    assert AuditEntry.objects.count() == 0


# ---- tamper detection by verify_audit_log


@pytest.fixture
def logged(flow):
    """Some history: two applications, six entries."""
    flow.to(flow.draft(), S.DOCUMENT_REVIEW)
    flow.draft(flow.w.other_applicant)
    n = AuditEntry.objects.count()
    assert n == 6
    assert verify() == f"audit log intact: {n} entries"
    return n


def broken(expected: str):
    with pytest.raises(CommandError) as failed:
        verify()
    assert str(failed.value) == expected


def test_verify_names_a_modified_entry(logged):
    AuditEntry.objects.filter(seq=3).update(data={"from": "draft", "to": "issued"})
    broken(
        "audit log broken at entry #3: entry #3 was modified: its content does not match its hash"
    )


def test_verify_names_an_entry_whose_actor_was_changed(logged):
    AuditEntry.objects.filter(seq=5).update(actor_name="someone-else")
    broken(
        "audit log broken at entry #5: entry #5 was modified: its content does not match its hash"
    )


def test_verify_names_a_deleted_middle_entry(logged):
    AuditEntry.objects.filter(seq=4).delete()
    broken("audit log broken at entry #4: entry #4 is missing (next is #5): deleted or renumbered")


def test_verify_names_a_deleted_first_entry(logged):
    AuditEntry.objects.filter(seq=1).delete()
    broken("audit log broken at entry #1: entry #1 is missing (next is #2): deleted or renumbered")


def test_verify_names_a_deleted_newest_entry(logged):
    AuditEntry.objects.filter(seq=logged).delete()
    broken(
        f"audit log broken at entry #{logged}: the chain ends at #{logged - 1} but its "
        f"head records #{logged}: newest entries deleted or head modified"
    )


def test_verify_names_an_inserted_entry(logged):
    last = AuditEntry.objects.get(seq=logged)
    forged = {
        "seq": logged + 1,
        "created_at": last.created_at,
        "actor_id": None,
        "actor_name": "system",
        "action": "application.issue",
        "object_type": last.object_type,
        "object_id": last.object_id,
        "data": {},
        "visible_to_applicant": True,
        "prev_hash": "f" * 64,
    }
    AuditEntry.objects.create(**forged, hash=entry_hash(**forged))
    broken(
        f"audit log broken at entry #{logged + 1}: entry #{logged + 1} does not follow "
        f"entry #{logged}: inserted or reordered"
    )


def test_verify_names_a_well_chained_entry_appended_behind_the_head(logged):
    """A forger who chains the hash correctly still cannot move the locked head."""
    last = AuditEntry.objects.get(seq=logged)
    forged = {
        "seq": logged + 1,
        "created_at": last.created_at,
        "actor_id": None,
        "actor_name": "system",
        "action": "application.issue",
        "object_type": last.object_type,
        "object_id": last.object_id,
        "data": {},
        "visible_to_applicant": True,
        "prev_hash": last.hash,
    }
    AuditEntry.objects.create(**forged, hash=entry_hash(**forged))
    broken(
        f"audit log broken at entry #{logged}: the chain ends at #{logged + 1} but its "
        f"head records #{logged}: newest entries deleted or head modified"
    )


def test_verify_names_an_entry_moved_to_another_place(logged):
    """Swapping two entries' sequence numbers breaks both hashes; the first is named."""
    a, b = AuditEntry.objects.get(seq=2), AuditEntry.objects.get(seq=3)
    AuditEntry.objects.filter(pk=a.pk).update(seq=10_000)
    AuditEntry.objects.filter(pk=b.pk).update(seq=2)
    AuditEntry.objects.filter(pk=a.pk).update(seq=3)
    broken("audit log broken at entry #2: entry #2 does not follow entry #1: inserted or reordered")


def test_verify_passes_on_an_empty_log(db):
    assert verify() == "audit log intact: 0 entries"


# ---- PostgreSQL: the database refuses to change the log


def set_purge_off():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL iets.audit_purge = 'off'")


@needs_postgres
@pytest.mark.parametrize("statement", ["UPDATE", "DELETE", "TRUNCATE"])
def test_audit_table_refuses_change_on_postgres(logged, statement):
    before = chain()
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        set_purge_off()
        if statement == "UPDATE":
            AuditEntry.objects.filter(seq=2).update(actor_name="someone-else")
        elif statement == "DELETE":
            AuditEntry.objects.filter(seq=logged).delete()
        else:
            with connection.cursor() as cursor:
                # Fire the test transaction's deferred foreign-key checks first, which
                # PostgreSQL wants before a TRUNCATE.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("TRUNCATE audit_auditentry")
    assert f"audit_auditentry is append-only: {statement} refused" in str(refused.value)
    assert chain() == before
    assert verify() == f"audit log intact: {logged} entries"


@needs_postgres
def test_audit_table_still_accepts_appends_on_postgres(logged, world):
    with transaction.atomic():
        set_purge_off()
        audit_record(actor=world.center, action="test.append", obj=world.org, now=T0)
    assert verify() == f"audit log intact: {logged + 1} entries"


# ---- the project checks


def test_manage_check_is_clean(db):
    out = StringIO()
    call_command("check", stdout=out)
    # Silenced: django-ratelimit's warnings about cache backends it does not list (settings.py).
    assert re.fullmatch(r"System check identified no issues \(\d silenced\)\.\n", out.getvalue())


def test_bulk_entries_chain_and_roll_back_with_their_batch(world):
    """Issue #8: `audit_records_bulk` chains a batch's entries from the head in one pass, each
    entry's data encoded before the head is locked; a failure of the batch after them leaves
    no entry behind and the head where it was."""
    from ietsportal.audit.services import audit_records_bulk

    org = world.org
    with transaction.atomic():
        assert (
            audit_records_bulk(
                actor=None,
                action="test.bulk",
                model=type(org),
                items=[(org.pk, {"n": i, "on": date(2026, 2, 28)}) for i in range(3)],
                now=T0,
            )
            == 3
        )
    entries = list(AuditEntry.objects.filter(action="test.bulk").order_by("seq"))
    assert [e.data for e in entries] == [{"n": i, "on": "2026-02-28"} for i in range(3)]
    assert [e.hash == e.compute_hash() for e in entries] == [True, True, True]
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert AuditHead.objects.get(id=1).hash == entries[2].hash

    with pytest.raises(DatabaseError), transaction.atomic():
        audit_records_bulk(
            actor=None, action="test.bulk-failed", model=type(org), items=[(org.pk, {})], now=T0
        )
        raise DatabaseError("the batch failed after its entries")
    assert not AuditEntry.objects.filter(action="test.bulk-failed").exists()
    assert AuditHead.objects.get(id=1).hash == entries[2].hash


@pytest.mark.parametrize(
    "fixed",
    [
        {"actor_id": None, "actor_name": "system", "visible_to_applicant": True},
        {"actor_id": 7, "actor_name": '张三"\\\n', "visible_to_applicant": False},
    ],
)
def test_the_batch_hasher_gives_the_digests_of_entry_hash(fixed):
    """Issue #8: the jobs hash by `entry_hasher` (constant parts encoded once), the verifier by
    `entry_hash`; for any entry both must give the same digest, or every job's entries would
    fail verification. Data with non-ASCII text, quotes, nested lists and unsorted keys."""
    from datetime import UTC, datetime, timezone

    from ietsportal.audit.models import canonical_json, entry_hasher

    local = datetime(2026, 11, 27, 9, 30, 1, 250, tzinfo=timezone(timedelta(hours=8)))
    datas = [
        {},
        {"number": "IETS-2026-0000001", "from": "valid", "to": "expired"},
        {"z": [1, "二", {"b": None, "a": True}], "a": '引号"与\\反斜杠', "m": -3},
        {"year": 2, "due_on": "2026-12-01", "deadline": "2027-01-30"},
    ]
    for created_at in (T0, local, datetime(2026, 1, 1, tzinfo=UTC)):
        digest = entry_hasher(
            created_at=created_at, action="certificate.expire", object_type="x.y", **fixed
        )
        prev = GENESIS_HASH
        for seq, data in enumerate(datas, start=41):
            reference = entry_hash(
                seq=seq,
                created_at=created_at,
                action="certificate.expire",
                object_type="x.y",
                object_id=str(seq * 3),
                data=data,
                prev_hash=prev,
                **fixed,
            )
            assert digest(seq, str(seq * 3), canonical_json(data), prev) == reference
            prev = reference
