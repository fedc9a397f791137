"""Facilities, their places per time slot and age class, closures, and first interviews."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.accounts.models import Invitation
from tsuen.core.tenancy import TenantModel
from tsuen.privacy.fields import EncryptedTextField


class FacilityType(models.TextChoices):
    GENERAL = "general", _("General (一般型)")
    SPARE_CAPACITY = "spare_capacity", _("Spare capacity (余裕活用型)")


class BankAccountType(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary (普通)")
    CURRENT = "current", _("Current (当座)")


class Facility(TenantModel):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="facilities"
    )
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    facility_type = models.CharField(_("type"), max_length=16, choices=FacilityType.choices)
    postal_code = models.CharField(_("postal code"), max_length=8)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    accepts_class_0 = models.BooleanField(_("accepts age class 0"), default=True)
    accepts_class_1 = models.BooleanField(_("accepts age class 1"), default=True)
    accepts_class_2 = models.BooleanField(_("accepts age class 2"), default=True)
    offers_regular = models.BooleanField(_("offers regular use (定期利用)"), default=False)
    offers_flexible = models.BooleanField(_("offers flexible use (柔軟利用)"), default=True)
    medical_care_support = models.BooleanField(_("supports medical care"), default=False)
    allergy_support = models.BooleanField(_("supports allergy meals"), default=False)
    fee_per_hour = models.PositiveIntegerField(_("fee per hour (yen)"), default=300)
    meal_fee = models.PositiveIntegerField(_("meal charge (yen)"), default=0)
    snack_fee = models.PositiveIntegerField(_("snack charge (yen)"), default=0)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    what_to_bring = models.TextField(_("what to bring"), blank=True)
    access = models.TextField(_("access"), blank=True)
    suspended = models.BooleanField(_("suspended"), default=False)
    #: The official facility number (事業所番号, ten digits, the first two the prefecture's
    #: code) that the ward registers; claims and the finance export carry it.
    facility_number = models.CharField(
        _("facility number (事業所番号)"),
        max_length=10,
        blank=True,
        help_text=_("Ten digits; the first two are the prefecture's code."),
    )
    #: The facility's ID in the ward's open data (子育て施設一覧, column ID): the key a register
    #: imported from such a file is matched by (issue 13). Empty: the export writes the row id.
    open_data_id = models.CharField(_("open data ID"), max_length=40, blank=True)
    # The account the ward pays the claims into (振込先), kept by the facility's manager.
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_branch = models.CharField(_("branch"), max_length=60, blank=True)
    bank_account_type = models.CharField(
        _("account type"), max_length=10, choices=BankAccountType.choices, blank=True
    )
    bank_account_number = models.CharField(_("account number"), max_length=7, blank=True)
    bank_account_holder = models.CharField(_("account holder (kana)"), max_length=100, blank=True)
    #: Where tsuen tells the facility of a new interview request, a booking or a family's
    #: cancellation; empty (the default) sends nothing.
    notice_email = models.EmailField(
        _("email for notices to the facility"),
        blank=True,
        help_text=_(
            "New first interview requests, bookings and cancellations by families are sent "
            "here. Leave empty to receive no email."
        ),
    )
    #: Whether an enabled webhook endpoint may want this facility's booking and attendance
    #: events (its own, or its ward's): kept in step by tsuen.webhooks (``sync_flags``) and
    #: read with the facility row the booking already loads, so that a facility without an
    #: endpoint writes no outbox row and runs no extra query (issue 13 item 5).
    webhooks_enabled = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility_number"],
                condition=~models.Q(facility_number=""),
                name="one_facility_per_number",
            ),
            models.UniqueConstraint(
                fields=["municipality", "open_data_id"],
                condition=~models.Q(open_data_id=""),
                name="one_facility_per_open_data_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_account_number)

    def accepts(self, age_class: int) -> bool:
        return bool(getattr(self, f"accepts_class_{age_class}", False))


class PlaceSlot(TenantModel):
    """Places offered in one time slot of one day for one age class: the scarce thing that
    booking locks. There is no stored "places left" counter: bookings are recounted."""

    TENANT_PATHS = ("facility__municipality",)

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="place_slots")
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    age_class = models.PositiveSmallIntegerField(_("age class"), validators=[MaxValueValidator(2)])
    capacity = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["facility", "date", "starts_at", "age_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "date", "starts_at", "age_class"], name="one_slot_per_class"
            ),
            models.CheckConstraint(
                name="slot_times_ordered", condition=models.Q(ends_at__gt=models.F("starts_at"))
            ),
            models.CheckConstraint(
                name="slot_age_class_0_to_2", condition=models.Q(age_class__lte=2)
            ),
        ]


class ClosureDay(TenantModel):
    TENANT_PATHS = ("facility__municipality",)

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "date"], name="one_closure_per_day")
        ]


class HolidayOpening(TenantModel):
    """A national holiday on which the facility opens: without one, a holiday is closed
    (``facilities.calendar``)."""

    TENANT_PATHS = ("facility__municipality",)

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="holiday_openings"
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "date"], name="one_opening_per_holiday")
        ]


class InterviewSlot(TenantModel):
    TENANT_PATHS = ("facility__municipality",)

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="interview_slots")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    capacity = models.PositiveSmallIntegerField(_("families"), default=1)

    class Meta:
        ordering = ["facility", "starts_at"]
        constraints = [
            models.CheckConstraint(
                name="interview_slot_times_ordered",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            )
        ]


class InterviewStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class Interview(TenantModel):
    """The first interview (初回面談), required before a child's first visit at a facility."""

    TENANT_PATHS = ("facility__municipality", "child__household__municipality")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="interviews")
    slot = models.ForeignKey(
        InterviewSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="interviews"
    )
    child = models.ForeignKey("families.Child", on_delete=models.CASCADE, related_name="interviews")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InterviewStatus.choices,
        default=InterviewStatus.REQUESTED,
    )
    held_minutes = models.PositiveSmallIntegerField(_("length (minutes)"), null=True, blank=True)
    follow_up_recorded = models.BooleanField(_("follow-up talk recorded"), default=False)
    notes = EncryptedTextField(_("notes"))
    #: What the facility tells the family with its decision (shown on the family's page).
    message_to_family = EncryptedTextField(_("message to the family"))
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["child", "facility", "status"])]
        constraints = [
            # The last wall behind request_interview(): one open interview per child and
            # facility (a cancelled or declined one may be followed by a new request).
            models.UniqueConstraint(
                fields=["child", "facility"],
                condition=models.Q(status__in=["requested", "accepted"]),
                name="one_open_interview_per_child_and_facility",
            )
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INTERVIEW_STATUSES


#: Statuses that hold a place in an interview slot and block a second request.
OPEN_INTERVIEW_STATUSES = (InterviewStatus.REQUESTED, InterviewStatus.ACCEPTED)


# --- The facility's own screens (issue 4) ------------------------------------------------------


class PlaceTemplate(TenantModel):
    """One slot of the facility's weekly template: from which ``generate_places`` makes the
    days' ``PlaceSlot``s. ``staff_planned`` is the adults planned for the slot, compared with
    the municipality's staff ratios for a warning (never a refusal)."""

    TENANT_PATHS = ("facility__municipality",)

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="place_templates")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )  # ISO: 1 Monday .. 7 Sunday
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    age_class = models.PositiveSmallIntegerField(_("age class"), validators=[MaxValueValidator(2)])
    places = models.PositiveSmallIntegerField(_("places"))
    staff_planned = models.PositiveSmallIntegerField(_("staff planned"), default=1)

    class Meta:
        ordering = ["facility", "weekday", "starts_at", "age_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "weekday", "starts_at", "age_class"],
                name="one_template_slot_per_class",
            ),
            models.CheckConstraint(
                name="template_times_ordered", condition=models.Q(ends_at__gt=models.F("starts_at"))
            ),
            models.CheckConstraint(
                name="template_weekday_1_to_7",
                condition=models.Q(weekday__gte=1, weekday__lte=7),
            ),
            models.CheckConstraint(
                name="template_age_class_0_to_2", condition=models.Q(age_class__lte=2)
            ),
        ]


class StaffInvitation(TenantModel, Invitation):
    """A manager's (or the ward's) invitation of a facility's staff member: one use, seven
    days, only the token's hash (the fields and the flow are ``accounts.invitations``')."""

    TENANT_PATHS = ("facility__municipality",)

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="staff_invitations"
    )

    class Meta:
        ordering = ["-created_at"]


# --- The ward's facility register (issue 5, item 5) --------------------------------------------


class FacilitySuspension(TenantModel):
    """One suspension or reinstatement of a facility by its ward: who, when and why. The
    facility's ``suspended`` flag is the current state; these rows are its history."""

    TENANT_PATHS = ("facility__municipality",)

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="suspensions")
    suspended = models.BooleanField(_("suspended"))  # False: reinstated
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["facility", "-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="suspension_has_reason",
                condition=models.Q(suspended=False) | ~models.Q(reason=""),
            )
        ]
