import datetime as dt

import pytest

from tests import factories as f
from tsuen.booking.models import Booking
from tsuen.core import tenancy
from tsuen.families.models import Child

pytestmark = pytest.mark.django_db


def test_query_without_scope_fails_loudly():
    with tenancy.no_scope(), pytest.raises(tenancy.ScopeError, match=r"families\.Child"):
        list(Child.objects.all())


def test_related_manager_without_scope_fails_loudly():
    muni = f.municipality()
    _, hh, _ = f.family(muni)
    with tenancy.no_scope(), pytest.raises(tenancy.ScopeError):
        list(hh.children.all())


def test_tenant_scope_sees_only_its_municipality():
    a, b = f.municipality(), f.municipality()
    _, _, kid_a = f.family(a)
    _, _, kid_b = f.family(b)
    with tenancy.tenant(a.pk):
        assert list(Child.objects.all()) == [kid_a]
    with tenancy.tenant([a.pk, b.pk]):
        assert set(Child.objects.all()) == {kid_a, kid_b}


def test_multi_path_models_belong_to_either_ward():
    """A booking belongs to the child's ward and to the facility's ward, without duplicates."""
    home, other = f.municipality(), f.municipality()
    account, _, kid = f.family(home)
    slot = f.place_slot(f.facility(other), dt.date(2026, 12, 1))
    booking = f.booking(kid, slot, account)
    for muni in (home, other):
        with tenancy.tenant(muni.pk):
            assert list(Booking.objects.all()) == [booking]
    with tenancy.tenant(f.municipality().pk):
        assert not Booking.objects.exists()


def test_cross_tenant_needs_a_reason():
    with pytest.raises(ValueError):
        tenancy.cross_tenant("")
