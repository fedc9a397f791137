"""Monthly claims (請求) from a facility to each paying municipality.

A submitted claim is never edited: a correction is a new version that supersedes it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel
from tsuen.privacy.fields import EncryptedIntegerField, EncryptedJSONField, EncryptedTextField


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    QUERIED = "queried", _("Queried")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    SUPERSEDED = "superseded", _("Superseded by a correction")


#: What may still change on a claim once it is submitted: its place in the payment cycle.
LIFECYCLE_FIELDS = frozenset({"status", "approved_at", "paid_at"})


class ClaimImmutable(ValidationError):
    """A submitted claim (or one of its lines) was about to be changed."""


class Claim(TenantModel):
    TENANT_PATHS = ("paying_municipality", "facility__municipality")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="claims"
    )
    paying_municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="claims_to_pay"
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    status = models.CharField(max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    # Encrypted: on a claim with few children the benefit total, less the base amounts that
    # the clear minutes and age classes give, is the adders, and the reduction total follows
    # from the fee classes (docs/data-inventory.md, "Claims"). Sums are made in Python.
    total_benefit = EncryptedIntegerField(default=0)
    total_reduction_reimbursed = EncryptedIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "paying_municipality", "year", "month", "version"],
                name="one_claim_version",
            ),
            models.CheckConstraint(
                name="claim_month_1_to_12", condition=models.Q(month__gte=1, month__lte=12)
            ),
        ]
        ordering = ["-year", "-month", "paying_municipality", "-version"]

    @property
    def is_draft(self) -> bool:
        return self.status == ClaimStatus.DRAFT

    def save(self, *args, **kwargs):
        """Refuse any change to a submitted claim except its payment-cycle fields."""
        if self.pk is not None:
            stored = type(self).unscoped.filter(pk=self.pk).first()
            if stored is not None and stored.status != ClaimStatus.DRAFT:
                changed = {
                    f.attname
                    for f in self._meta.concrete_fields
                    if getattr(stored, f.attname) != getattr(self, f.attname)
                }
                if changed - LIFECYCLE_FIELDS or self.status == ClaimStatus.DRAFT:
                    raise ClaimImmutable(
                        _("A submitted claim cannot be changed; make a correction instead.")
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != ClaimStatus.DRAFT:
            raise ClaimImmutable(
                _("A submitted claim cannot be changed; make a correction instead.")
            )
        return super().delete(*args, **kwargs)


class ClaimLine(TenantModel):
    """One visit on a claim. Belongs to exactly one claim (non-null FK, never moved)."""

    TENANT_PATHS = ("claim__paying_municipality", "claim__facility__municipality")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("families.Child", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    billable_minutes = models.PositiveSmallIntegerField()
    age_class = models.PositiveSmallIntegerField()
    # What each column reveals, and why it is clear or encrypted: docs/data-inventory.md,
    # "Claims". In short: a yen amount that depends on an adder or on the fee class is
    # encrypted, or not stored at all when it follows from the others (total, fee_net).
    #: [{"payer", "minutes", "base", "adders", "first_visit"}]: the adders per payer.
    bucket_shares = EncryptedJSONField(default=list, null=False)
    #: The age-class price: minutes and age class times the (public) rate table.
    base_amount = models.PositiveIntegerField(default=0)
    adders = EncryptedJSONField(default=dict)  # {"disability": yen, ...}: reveals care needs
    first_visit_amount = models.PositiveIntegerField(default=0)
    #: Follows from the household's fee class (a reduction per hour for each class).
    reduction_reimbursed = EncryptedIntegerField(default=0)
    #: The family's fee before the reduction: the facility's (public) fee per hour, pro rata.
    fee_gross = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["claim", "date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "booking"], name="visit_once_per_claim"),
        ]

    @property
    def benefit(self) -> int:
        """What the payers owe for the visit: every share's base, adders and first visit."""
        return sum(s["base"] + s["adders"] + s["first_visit"] for s in self.bucket_shares)

    @property
    def total(self) -> int:
        """The line's claim: the benefit and the reduction reimbursed."""
        return self.benefit + self.reduction_reimbursed

    @property
    def fee_net(self) -> int:
        """What the family pays the facility for the visit (to collect)."""
        return self.fee_gross - self.reduction_reimbursed

    def save(self, *args, **kwargs):
        status = Claim.unscoped.filter(pk=self.claim_id).values_list("status", flat=True).first()
        if status is not None and status != ClaimStatus.DRAFT:
            raise ClaimImmutable(
                _("A submitted claim cannot be changed; make a correction instead.")
            )
        super().save(*args, **kwargs)


class ClaimQuery(TenantModel):
    """The ward's question about one line of a submitted claim (照会). The claim becomes
    QUERIED; the facility answers with a correction version, whose submission closes the
    query (``answered_at``, ``answered_in``)."""

    TENANT_PATHS = ("claim__paying_municipality", "claim__facility__municipality")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="queries")
    line = models.ForeignKey(ClaimLine, on_delete=models.PROTECT, related_name="queries")
    message = EncryptedTextField(_("message to the facility"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_in = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="answered_queries"
    )

    class Meta:
        ordering = ["asked_at", "pk"]

    @property
    def is_open(self) -> bool:
        return self.answered_at is None
