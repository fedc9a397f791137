"""The national benefit rate table of a fiscal year, as the national operator sets it.

The built-in tables (``tsuen.rules.NATIONAL_RATES``) stay the fallback: a year with a row here is
priced with the row (see ``tsuen.national.services.national_rates``).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def _yen(label):
    return models.PositiveIntegerField(label)


class NationalRateTable(models.Model):
    """Yen per child-hour by age class, adders per hour, and the flat first-visit adder
    (初回対応加算) by age class, or none at all that year (all three empty)."""

    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"),
        unique=True,
        validators=[MinValueValidator(2025), MaxValueValidator(2100)],
    )
    base_0 = _yen(_("base per hour, age class 0"))
    base_1 = _yen(_("base per hour, age class 1"))
    base_2 = _yen(_("base per hour, age class 2"))
    disability = _yen(_("disability adder per hour"))
    medical_care = _yen(_("medical care adder per hour"))
    support_needed_family = _yen(_("support-needed family adder per hour"))
    first_visit_0 = models.PositiveIntegerField(
        _("first-visit adder, age class 0"), null=True, blank=True
    )
    first_visit_1 = models.PositiveIntegerField(
        _("first-visit adder, age class 1"), null=True, blank=True
    )
    first_visit_2 = models.PositiveIntegerField(
        _("first-visit adder, age class 2"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    #: The amounts, in the order of the form and the audit event's field names.
    AMOUNTS = (
        "base_0", "base_1", "base_2", "disability", "medical_care", "support_needed_family",
        "first_visit_0", "first_visit_1", "first_visit_2",
    )  # fmt: skip

    class Meta:
        verbose_name = _("national rate table")
        verbose_name_plural = _("national rate tables")
        ordering = ["-fiscal_year"]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year}"

    def to_rules(self):
        """This row as ``tsuen.rules.BenefitRates`` (raises ``RuleError`` if inconsistent)."""
        from tsuen import rules

        first = [self.first_visit_0, self.first_visit_1, self.first_visit_2]
        return rules.BenefitRates(
            base_per_hour={0: self.base_0, 1: self.base_1, 2: self.base_2},
            adders_per_hour={
                rules.Adder.DISABILITY: self.disability,
                rules.Adder.MEDICAL_CARE: self.medical_care,
                rules.Adder.SUPPORT_NEEDED_FAMILY: self.support_needed_family,
            },
            first_visit=None if first == [None] * 3 else dict(enumerate(first)),
        )

    @classmethod
    def from_rules(cls, fiscal_year: int, rates) -> NationalRateTable:
        """An unsaved row holding ``rates`` (e.g. the built-in table, as a starting point)."""
        from tsuen.rules import Adder

        first = rates.first_visit or {}
        return cls(
            fiscal_year=fiscal_year,
            base_0=rates.base_per_hour[0],
            base_1=rates.base_per_hour[1],
            base_2=rates.base_per_hour[2],
            disability=rates.adder_per_hour(Adder.DISABILITY),
            medical_care=rates.adder_per_hour(Adder.MEDICAL_CARE),
            support_needed_family=rates.adder_per_hour(Adder.SUPPORT_NEEDED_FAMILY),
            first_visit_0=first.get(0),
            first_visit_1=first.get(1),
            first_visit_2=first.get(2),
        )
