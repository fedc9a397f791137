"""Municipalities (the tenants) and their policy for each fiscal year."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class Municipality(models.Model):
    """A 市区町村, identified by its 全国地方公共団体コード (JIS X 0402, five digits)."""

    code = models.CharField(
        _("municipality code"),
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^\d{5}$", _("Enter the five-digit municipality code."))],
    )
    name = models.CharField(_("name"), max_length=50)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=10)
    certificate_prefix = models.CharField(
        _("certificate number prefix"),
        max_length=10,
        blank=True,
        help_text=_(
            "Certificate numbers read: prefix, fiscal year, hyphen, serial (e.g. SJ2026-00001)."
        ),
    )
    read_only = models.BooleanField(_("read-only (incident switch)"), default=False)
    # Who signs the ward's notices (認定通知書 and others) and whom families contact about them.
    head_title = models.CharField(
        _("title of the head of the municipality"),
        max_length=30,
        blank=True,
        help_text=_("Signs the notices, e.g. 新宿区長. Empty: the name followed by 長."),
    )
    office_department = models.CharField(_("department in charge"), max_length=100, blank=True)
    office_phone = models.CharField(_("department's phone"), max_length=30, blank=True)
    office_address = models.CharField(_("office address"), max_length=200, blank=True)
    western_years = models.BooleanField(
        _("western years in dates"),
        default=False,
        help_text=_("Dates read 2026年12月3日 instead of 令和8年12月3日 (the default)."),
    )
    service_name = models.CharField(
        _("service name"),
        max_length=60,
        blank=True,
        help_text=_(
            "The name the ward gives the service, at the start of every email subject "
            "(e.g. 新宿区 こども誰でも通園). Empty: the municipality's name and こども誰でも通園."
        ),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.prefecture}{self.name}"

    @property
    def head(self) -> str:
        """The head's title as the notices print it (新宿区長)."""
        return self.head_title or f"{self.name}長"

    @property
    def service_label(self) -> str:
        """The service as the ward brands it (email subjects)."""
        return self.service_name or f"{self.name} {settings.SERVICE_NAME}"


def default_excluded_enrolments() -> list[str]:
    return ["authorised_nursery", "certified_centre", "community_care", "employer_led"]


def default_caps() -> list[dict]:
    return [{"period": "month", "limit_minutes": 600}]


def default_buckets() -> list[dict]:
    return [{"payer": "national", "period": "month", "limit_minutes": 600, "national": True}]


def default_reductions() -> dict[str, int]:
    return {"public_assistance": 300, "tax_exempt": 240, "low_income": 210, "support_needed": 150}


def default_staff_ratios() -> dict[str, int]:
    return {"0": 3, "1": 6, "2": 6}


class EligibilityEnd(models.TextChoices):
    NATIONAL = "national", _("Two days before the third birthday (national rule)")
    FISCAL_YEAR_END_AGE_3 = (
        "fiscal_year_end_age_3",
        _("31 March of the fiscal year in which the child turns three"),
    )


class MunicipalPolicy(TenantModel):
    """The municipality's rules for one fiscal year, from an effective date.

    Versioned: a change is a new row with a later ``effective_from``; rows are never edited once
    in force. Caps and funding buckets are lists (see ``tsuen.rules``) kept as JSON; a bucket
    with its own prices (a ward or prefecture top-up) holds them under ``"rates"``.
    """

    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="policies"
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), validators=[MinValueValidator(2025), MaxValueValidator(2100)]
    )
    effective_from = models.DateField(_("effective from"))
    min_age_months = models.PositiveSmallIntegerField(_("minimum age in months"), default=6)
    eligibility_end = models.CharField(
        _("eligibility ends"),
        max_length=32,
        choices=EligibilityEnd.choices,
        default=EligibilityEnd.NATIONAL,
    )
    excluded_enrolments = models.JSONField(
        _("excluded enrolments"), default=default_excluded_enrolments
    )
    billing_minimum_minutes = models.PositiveSmallIntegerField(
        _("minimum visit (minutes)"), default=60
    )
    billing_step_minutes = models.PositiveSmallIntegerField(_("visit step (minutes)"), default=30)
    caps = models.JSONField(_("hours caps"), default=default_caps)
    buckets = models.JSONField(_("funding buckets"), default=default_buckets)
    reductions_per_hour = models.JSONField(
        _("reductions per hour (yen)"), default=default_reductions
    )
    free_for_residents = models.BooleanField(_("free for residents"), default=False)
    cancel_deadline_days_before = models.PositiveSmallIntegerField(
        _("cancellation deadline (days before)"), default=1
    )
    cancel_deadline_time = models.TimeField(
        _("cancellation deadline (time)"), default=dt.time(17, 0)
    )
    late_cancellation_counts = models.BooleanField(_("late cancellation counts"), default=True)
    no_show_counts = models.BooleanField(_("no-show counts"), default=True)
    booking_window_days = models.PositiveSmallIntegerField(_("booking window (days)"), default=31)
    staff_ratios = models.JSONField(
        _("children per adult by age class"), default=default_staff_ratios
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("municipal policy")
        verbose_name_plural = _("municipal policies")
        ordering = ["municipality", "fiscal_year", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "effective_from"],
                name="one_policy_version_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} FY{self.fiscal_year} from {self.effective_from}"

    # --- Conversion to and from the pure rules ------------------------------------------------

    def to_rules(self):
        """This row as a validated ``tsuen.rules.Policy`` (raises ``RuleError`` if inconsistent)."""
        from tsuen import rules

        return rules.Policy(
            self.fiscal_year,
            min_age_months=self.min_age_months,
            eligibility_end=self.eligibility_end,
            excluded_enrolments=self.excluded_enrolments,
            billing_minimum_minutes=self.billing_minimum_minutes,
            billing_step_minutes=self.billing_step_minutes,
            caps=tuple(rules.Cap(c["period"], c["limit_minutes"]) for c in self.caps),
            buckets=tuple(
                rules.FundingBucket(
                    b["payer"],
                    b["period"],
                    b["limit_minutes"],
                    national=b["national"],
                    rates=_rates_from_json(b.get("rates")),
                )
                for b in self.buckets
            ),
            reductions_per_hour=self.reductions_per_hour,
            free_for_residents=self.free_for_residents,
            cancel_deadline_days_before=self.cancel_deadline_days_before,
            cancel_deadline_time=self.cancel_deadline_time,
            late_cancellation_counts=self.late_cancellation_counts,
            no_show_counts=self.no_show_counts,
            booking_window_days=self.booking_window_days,
            staff_ratios={int(k): v for k, v in self.staff_ratios.items()},
        )

    @classmethod
    def from_rules(cls, municipality, policy, effective_from: dt.date) -> MunicipalPolicy:
        """An unsaved row holding ``policy`` (e.g. the national defaults) for a municipality."""
        return cls(
            municipality=municipality,
            fiscal_year=policy.fiscal_year,
            effective_from=effective_from,
            min_age_months=policy.min_age_months,
            eligibility_end=str(policy.eligibility_end),
            excluded_enrolments=sorted(str(e) for e in policy.excluded_enrolments),
            billing_minimum_minutes=policy.billing_minimum_minutes,
            billing_step_minutes=policy.billing_step_minutes,
            caps=[{"period": str(c.period), "limit_minutes": c.limit_minutes} for c in policy.caps],
            buckets=[
                {
                    "payer": b.payer,
                    "period": str(b.period),
                    "limit_minutes": b.limit_minutes,
                    "national": b.national,
                }
                | ({"rates": _rates_to_json(b.rates)} if b.rates is not None else {})
                for b in policy.buckets
            ],
            reductions_per_hour={str(k): v for k, v in policy.reductions_per_hour.items()},
            free_for_residents=policy.free_for_residents,
            cancel_deadline_days_before=policy.cancel_deadline_days_before,
            cancel_deadline_time=policy.cancel_deadline_time,
            late_cancellation_counts=policy.late_cancellation_counts,
            no_show_counts=policy.no_show_counts,
            booking_window_days=policy.booking_window_days,
            staff_ratios={str(k): v for k, v in policy.staff_ratios.items()},
        )


#: The columns :meth:`MunicipalPolicy.to_rules` reads, and those of them held as JSON.
RULE_FIELDS = (
    "fiscal_year",
    "min_age_months",
    "eligibility_end",
    "excluded_enrolments",
    "billing_minimum_minutes",
    "billing_step_minutes",
    "caps",
    "buckets",
    "reductions_per_hour",
    "free_for_residents",
    "cancel_deadline_days_before",
    "cancel_deadline_time",
    "late_cancellation_counts",
    "no_show_counts",
    "booking_window_days",
    "staff_ratios",
)
RULE_JSON_FIELDS = frozenset(
    ("excluded_enrolments", "caps", "buckets", "reductions_per_hour", "staff_ratios")
)


def rule_record(policies: models.QuerySet) -> models.QuerySet:
    """``policies`` as one column, ``rules``: the columns the rules are made of as one JSON
    object's text, for :func:`rules_of_record`. One column, so that the ward's row can come as a
    subquery with other rows (the booking page's children)."""
    from django.db.models.functions import Cast, JSONObject

    record = JSONObject(**{name: models.F(name) for name in RULE_FIELDS})
    return policies.values(rules=Cast(record, models.TextField()))


@lru_cache(maxsize=1024)
def rules_of_record(text: str):
    """``to_rules`` of a policy row read by :func:`rule_record`. The rules of the same text are
    built and validated once per process and shared (a ``rules.Policy`` is frozen): the booking
    page reads the ward's row on every confirm, and building the rules cost more than reading
    the row. Keyed by the values, not by the row's id, so an edited row is never answered with
    its old rules. Raises ``RuleError`` as ``to_rules`` does (not kept: the next call
    validates again)."""
    data = json.loads(text)
    fields = {}
    for name in RULE_FIELDS:
        value = data[name]
        if name in RULE_JSON_FIELDS:
            # SQLite's json_object() gives a JSON column as its text, PostgreSQL's as JSON.
            fields[name] = json.loads(value) if isinstance(value, str) else value
        else:  # dates and times come as ISO text, SQLite's booleans as 0 or 1
            fields[name] = MunicipalPolicy._meta.get_field(name).to_python(value)
    return MunicipalPolicy(**fields).to_rules()


def _rates_from_json(data: dict | None):
    """A bucket's own prices (``{"base_per_hour": {"0": yen, ...}, "adders_per_hour": {...},
    "first_visit": {...} or null}``) as ``rules.BenefitRates``; None: the national table."""
    if data is None:
        return None
    from tsuen import rules

    def by_class(table):
        return None if table is None else {int(k): v for k, v in table.items()}

    return rules.BenefitRates(
        base_per_hour=by_class(data.get("base_per_hour")),
        adders_per_hour=data.get("adders_per_hour") or {},
        first_visit=by_class(data.get("first_visit")),
    )


def _rates_to_json(rates) -> dict:
    def by_class(table):
        return None if table is None else {str(k): v for k, v in table.items()}

    return {
        "base_per_hour": by_class(rates.base_per_hour),
        "adders_per_hour": {str(k): v for k, v in rates.adders_per_hour.items()},
        "first_visit": by_class(rates.first_visit),
    }


def in_force(policies, municipality_id, fiscal_year, day) -> models.QuerySet:
    """Of ``policies`` (a manager or queryset), the ward's versions that have begun by ``day``
    in its fiscal year, the one in force first (``[:1]``). The values may be expressions
    (``OuterRef``: the booking page's subquery) or a compiled query's placeholders."""
    return policies.filter(
        municipality_id=municipality_id, fiscal_year=fiscal_year, effective_from__lte=day
    ).order_by("-effective_from")


def policy_for(municipality_id: int, day: dt.date) -> MunicipalPolicy:
    """The policy row in force for a municipality on a day (latest effective_from <= day within
    that day's fiscal year). Raises ``MunicipalPolicy.DoesNotExist`` when none is set."""
    from tsuen.rules import fiscal_year_of

    found = in_force(MunicipalPolicy.objects, municipality_id, fiscal_year_of(day), day).first()
    return found or _missing(municipality_id, day)


def rules_for(municipality_id: int, day: dt.date, *, default: bool = True):
    """The municipality's rules on ``day`` as a validated ``tsuen.rules.Policy``. When it has
    set none for that day (or its row does not validate): the national defaults of that fiscal
    year, or ``None`` with ``default=False`` (for callers that must refuse instead)."""
    from tsuen import rules

    try:
        return policy_for(municipality_id, day).to_rules()
    except (MunicipalPolicy.DoesNotExist, rules.RuleError):
        return rules.national_default_policy(rules.fiscal_year_of(day)) if default else None


def _missing(municipality_id: int, day: dt.date):
    raise MunicipalPolicy.DoesNotExist(f"no policy for municipality {municipality_id} on {day}")


def parse_network(value: str):
    """An IPv4/IPv6 network from CIDR text (host bits allowed: 192.0.2.7/24 means 192.0.2.0/24),
    or ValidationError with a message in the user's language."""
    import ipaddress

    from django.core.exceptions import ValidationError

    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not an IP address range (write it like 192.0.2.0/24)."),
            code="invalid_cidr",
            params={"value": value},
        ) from None


class StaffNetwork(models.Model):
    """One range of the municipality's LGWAN (or intranet) addresses from which its staff may
    use tsuen. A municipality with no range refuses its staff (only a development server may
    switch that off, with TSUEN_LGWAN_REQUIRED=0)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="staff_networks"
    )
    cidr = models.CharField(_("address range (CIDR)"), max_length=50, validators=[parse_network])
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("staff network")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "cidr"], name="one_network_row_per_range"
            )
        ]

    def __str__(self) -> str:
        return self.cidr
