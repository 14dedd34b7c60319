from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from ietsportal.bulk import JSONText

from .models import AuditEntry, AuditHead, canonical_json, entry_hash, entry_hasher

_PLAIN = {str, int, bool, type(None)}


def _json_safe(value):
    if isinstance(value, dict):
        return {
            str(k): v
            if type(v) in _PLAIN
            else v.isoformat()  # a date, as str() writes it: the jobs' entries carry two each
            if type(v) is date
            else _json_safe(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def audit_record(
    *,
    actor,
    action: str,
    obj,
    data: dict | None = None,
    now: datetime | None = None,
    visible_to_applicant: bool = True,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction (M§24)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    now = now or timezone.now()
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    actor = actor if getattr(actor, "is_authenticated", False) else None
    fields = {
        "seq": head.seq + 1,
        # The database keeps microseconds; truncate nothing, so the hash verifies after a read.
        "created_at": now,
        "actor_id": actor.pk if actor else None,
        "actor_name": actor.get_username() if actor else "system",
        "action": action,
        "object_type": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "data": _json_safe(data or {}),
        "visible_to_applicant": visible_to_applicant,
        "prev_hash": head.hash,
    }
    entry = AuditEntry(**fields, hash=entry_hash(**fields))
    entry.save(force_insert=True)
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


def audit_records_bulk(
    *,
    actor,
    action: str,
    model,
    items: list[tuple[object, dict]],
    now: datetime,
    visible_to_applicant: bool = True,
) -> int:
    """Append one entry per (pk, data) item with one lock and one INSERT: for set-based jobs.

    Issue #8: the entries are plain tuples, hashed and chained in one pass and inserted by
    `ietsportal.bulk.insert_rows` — no model instance per entry. Three queries whatever the
    number of items (lock the head, insert, move the head). Each entry's data is encoded
    before the head is locked, so the lock — which every writer of the chain waits for until
    this transaction commits — covers only the chaining, the INSERT and the commit: a job
    calls this last in each batch's transaction."""
    from ietsportal.bulk import insert_rows

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_records_bulk must run inside the transaction it records")
    if not items:
        return 0
    encoded = [(str(pk), JSONText(canonical_json(_json_safe(data)))) for pk, data in items]
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    actor = actor if getattr(actor, "is_authenticated", False) else None
    rows = _chained_rows(
        encoded=encoded,
        seq=head.seq,
        prev_hash=head.hash,
        now=now,
        actor_id=actor.pk if actor else None,
        actor_name=actor.get_username() if actor else "system",
        action=action,
        object_type=model._meta.label_lower,
        visible_to_applicant=visible_to_applicant,
    )
    insert_rows(AuditEntry, BULK_FIELDS, rows)
    AuditHead.objects.filter(id=1).update(seq=rows[-1][0], hash=rows[-1][-1])
    return len(rows)


def _chained_rows(
    *, encoded, seq, prev_hash, now, actor_id, actor_name, action, object_type, visible_to_applicant
) -> list[tuple]:
    """The entries of `encoded` — (object id, data as canonical JSON) each — as rows in
    BULK_FIELDS order, numbered from after `seq` and chained from `prev_hash`. Pure: no
    database, no thread-local state."""
    rows = []
    digest_of = entry_hasher(
        created_at=now,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        visible_to_applicant=visible_to_applicant,
    )
    for object_id, data in encoded:
        seq += 1
        digest = digest_of(seq, object_id, data, prev_hash)
        rows.append(
            (
                seq,
                now,
                actor_id,
                actor_name,
                action,
                object_type,
                object_id,
                data,
                visible_to_applicant,
                prev_hash,
                digest,
            )
        )
        prev_hash = digest
    return rows


BULK_FIELDS = [
    "seq",
    "created_at",
    "actor",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "data",
    "visible_to_applicant",
    "prev_hash",
    "hash",
]


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    reason: str


def audit_chain_verify(*, batch_size: int = 2000) -> ChainProblem | None:
    """Walk the whole chain; return the first bad entry, or None when it is intact."""
    expected_seq, prev = 1, None
    from .models import GENESIS_HASH

    prev_hash = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return ChainProblem(
                expected_seq,
                f"entry #{expected_seq} is missing (next is #{entry.seq}): deleted or renumbered",
            )
        if entry.prev_hash != prev_hash:
            return ChainProblem(
                entry.seq,
                f"entry #{entry.seq} does not follow entry #{entry.seq - 1}: inserted or reordered",
            )
        if entry.compute_hash() != entry.hash:
            return ChainProblem(
                entry.seq, f"entry #{entry.seq} was modified: its content does not match its hash"
            )
        prev_hash, prev = entry.hash, entry
        expected_seq += 1
    head = AuditHead.objects.filter(id=1).first()
    last_seq = prev.seq if prev else 0
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        return ChainProblem(
            head.seq,
            f"the chain ends at #{last_seq} but its head records "
            f"#{head.seq}: newest entries deleted or head modified",
        )
    return None
