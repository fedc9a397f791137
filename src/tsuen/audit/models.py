"""The audit trail (監査ログ): one append-only, hash-chained event per access to personal data.

Each municipality has its own chain (events with no municipality, such as a national
operator's, form the national chain). An event stores who acted, in which role, from where,
what they did to which object, which field names were touched and which children and guardians
the data was about — never a value. Rows are written only by :mod:`tsuen.audit.services`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.audit.actions import CHANGE_ACTIONS, READ_ACTIONS, Action
from tsuen.audit.chain import GENESIS_HASH, HASHED_FIELDS, event_hash
from tsuen.audit.fields import PersonIdsField

NATIONAL_CHAIN = "national"


def chain_key(municipality_id: int | None) -> str:
    return NATIONAL_CHAIN if municipality_id is None else f"municipality:{municipality_id}"


class AppendOnlyError(RuntimeError):
    """An audit event was to be edited or deleted, or written around the chain."""


class AuditChainHead(models.Model):
    """The end of one chain: the row writers lock so that appends never fork the chain.

    It also remembers the last sequence number and hash, which lets verification notice events
    cut off the end of the chain (unless the head is rewritten too: see docs/audit.md).
    """

    key = models.CharField(max_length=32, unique=True, editable=False)
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    seq = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.key} @ {self.seq}"


class AuditEventQuerySet(models.QuerySet):
    """Questions an auditor asks, as filters. Rows cannot be updated or deleted through it."""

    def touching_child(self, child: models.Model | int) -> AuditEventQuerySet:
        """Every event about this child's data: "who saw this child's data, and when?"."""
        return self.filter(subject_child_ids__has_id=getattr(child, "pk", child))

    def touching_guardian(self, guardian: models.Model | int) -> AuditEventQuerySet:
        return self.filter(subject_guardian_ids__has_id=getattr(guardian, "pk", guardian))

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        """Every event about one record: combine with :meth:`changes` for "who changed it?"."""
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))

    def by_actor(self, user: models.Model | int) -> AuditEventQuerySet:
        return self.filter(actor_id=getattr(user, "pk", user))

    def in_municipality(self, municipality: models.Model | int | None) -> AuditEventQuerySet:
        """One municipality's chain; ``None`` is the national chain."""
        return self.filter(municipality_id=getattr(municipality, "pk", municipality))

    def reads(self) -> AuditEventQuerySet:
        return self.filter(action__in=READ_ACTIONS)

    def changes(self) -> AuditEventQuerySet:
        return self.filter(action__in=CHANGE_ACTIONS)

    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    update.queryset_only = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    """One access to personal data, linked to the event before it in its municipality's chain.

    An event is appended *unsealed* (``chain``, ``seq``, ``prev_hash`` and ``hash`` empty) in
    the transaction of the work it describes; :mod:`tsuen.audit.sequencer` later seals it into
    its municipality's chain. Sealing is the one change the database lets happen to a row.
    """

    # Both foreign keys are served by the composite indexes below; no single-column index.
    # The chain columns stay NULL until the sequencer seals the event (see docs/audit.md).
    chain = models.ForeignKey(
        AuditChainHead,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        null=True,
        blank=True,
    )
    seq = models.PositiveBigIntegerField(_("sequence number in the chain"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 NULL: unsealed
    hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 NULL: unsealed
    # The version of the audit key (TSUEN_AUDIT_KEYS) whose HMAC sealed the event; NULL while
    # unsealed, and for events sealed before keying (a plain SHA-256: tsuen.audit.chain).
    key_version = models.PositiveSmallIntegerField(_("audit key version"), null=True, blank=True)

    occurred_at = models.DateTimeField(_("when"))
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        verbose_name=_("municipality whose data it was"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The actor is copied, not linked: the trail outlives accounts and their later changes.
    actor_id = models.BigIntegerField(_("acting user id"), null=True, blank=True)
    actor_role = models.CharField(_("role"), max_length=32)
    actor_municipality_id = models.BigIntegerField(
        _("acting user's municipality id"), null=True, blank=True
    )
    source_address = models.CharField(_("source address"), max_length=45, blank=True)
    request_id = models.CharField(_("request id"), max_length=64)

    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    field_names = models.JSONField(_("field names (never values)"), default=list)
    subject_child_ids = PersonIdsField(_("children the data is about"), default=list)
    subject_guardian_ids = PersonIdsField(_("guardians the data is about"), default=list)
    document_sha256 = models.CharField(
        _("SHA-256 of a produced document (export, deletion report)"), max_length=64, blank=True
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            # The last wall against a forked chain, should the head lock ever be bypassed.
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_one_event_per_seq"),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
            models.Index(fields=["actor_id", "occurred_at"], name="audit_event_actor"),
            models.Index(fields=["municipality", "occurred_at"], name="audit_event_muni_time"),
            # What the sequencer and verification look for: the few events not yet sealed.
            models.Index(
                fields=["municipality", "id"],
                condition=models.Q(seq__isnull=True),
                name="audit_event_unsealed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id}#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        raise AppendOnlyError(
            "audit events are appended by tsuen.audit.record() only, and never changed"
        )

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    @property
    def sealed(self) -> bool:
        return self.seq is not None

    def compute_hash(self) -> str:
        fields = {name: getattr(self, name) for name in HASHED_FIELDS}
        return event_hash(fields | {"key_version": self.key_version})
