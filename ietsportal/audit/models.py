"""M§24: evaluation records are kept complete and truthful — an append-only, hash-chained log.

Each entry carries the hash of the one before and its own sequence number; the single
`AuditHead` row holds the last sequence number and hash. Writing an entry locks the head row,
so entries are chained in commit order, and deleting the newest entry is detected too. On
PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE on the entry table.
"""

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ietsportal.indexes import index_where_set

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,  # indexed where set (Meta): the jobs' entries have no actor (issue #8)
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("data"), default=dict, blank=True)
    visible_to_applicant = models.BooleanField(_("visible to the applicant"), default=True)
    prev_hash = models.CharField(max_length=64)
    # Not indexed (issue #8): nothing looks an entry up by its hash — the chain is checked in
    # `seq` order — and two indexes on random 64-character keys were half of what writing an
    # entry cost at a million certificates.
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            index_where_set("audit", "actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def compute_hash(self) -> str:
        return entry_hash(
            seq=self.seq,
            created_at=self.created_at,
            actor_id=self.actor_id,
            actor_name=self.actor_name,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            data=self.data,
            visible_to_applicant=self.visible_to_applicant,
            prev_hash=self.prev_hash,
        )


class AuditHead(models.Model):
    """The single row that points at the newest entry; locked by every writer."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(name="single_audit_head", condition=models.Q(id=1))]

    def __str__(self) -> str:
        return f"head #{self.seq}"


def entry_hash(
    *,
    seq,
    created_at,
    actor_id,
    actor_name,
    action,
    object_type,
    object_id,
    data,
    visible_to_applicant,
    prev_hash,
) -> str:
    payload = canonical_json(
        {
            "seq": seq,
            "created_at": _hashed_time(created_at),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "data": data,
            "visible_to_applicant": visible_to_applicant,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _hashed_time(created_at) -> str:
    """An entry's time as its hash covers it: in UTC, as the database gives it back, so that an
    entry written with a local-time `now` verifies after a read."""
    return created_at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value) -> str:
    """The JSON an entry's hash covers: keys sorted, no spaces, characters as they are."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hasher(*, created_at, actor_id, actor_name, action, object_type, visible_to_applicant):
    """`entry_hash` for entries that share all but their sequence number, object, data and
    previous hash (a scheduled job's batch): the canonical JSON's constant parts are encoded
    once, and each entry's data arrives encoded (`canonical_json`), as it is also stored.
    Returns `digest(seq, object_id, data_json, prev_hash)`; the same digests as `entry_hash`
    (tests/test_audit.py), at a fraction of the cost (issue #8)."""
    # the keys in sorted order, as canonical_json writes them
    head = (
        f'{{"action":{canonical_json(action)},"actor_id":{canonical_json(actor_id)},'
        f'"actor_name":{canonical_json(actor_name)},"created_at":'
        f"{canonical_json(_hashed_time(created_at))},"
        '"data":'
    )
    middle = f',"object_type":{canonical_json(object_type)},"prev_hash":'
    tail = f',"visible_to_applicant":{canonical_json(visible_to_applicant)}}}'
    string = json.encoder.encode_basestring  # a str as canonical_json writes it
    sha256 = hashlib.sha256

    def digest(seq: int, object_id: str, data_json: str, prev_hash: str) -> str:
        payload = (
            f'{head}{data_json},"object_id":{string(object_id)}{middle}'
            f'{string(prev_hash)},"seq":{int(seq)}{tail}'
        )
        return sha256(payload.encode()).hexdigest()

    return digest
