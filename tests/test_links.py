"""``{% url %}`` with its answers remembered (tsuen.core.templatetags.links): the same URLs as
Django's tag, for every form of the tag, and never an answer kept across what a URL depends on."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, set_script_prefix
from django.urls import reverse as django_reverse

from tsuen.core.templatetags import links


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture(autouse=True)
def fresh():
    links._reversed.cache_clear()
    yield
    links._reversed.cache_clear()
    set_script_prefix("/")


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("{% url 'booking:list' %}", {}, django_reverse("booking:list")),
        ("{% url 'facilities:detail' 12 %}", {}, django_reverse("facilities:detail", args=[12])),
        (
            "{% url 'facilities:detail' pk %}",
            {"pk": 7},
            django_reverse("facilities:detail", args=[7]),
        ),
        (
            "{% url 'facilities:detail' facility_id=pk %}",
            {"pk": 7},
            django_reverse("facilities:detail", kwargs={"facility_id": 7}),
        ),
        ("{% url name %}", {"name": "booking:list"}, django_reverse("booking:list")),
        ("{% url 'booking:list' as link %}[{{ link }}]", {}, f"[{django_reverse('booking:list')}]"),
        ("{% url 'no:such' as link %}[{{ link }}]", {}, "[]"),  # "as" swallows a missing URL
    ],
)
def test_the_tag_answers_as_djangos_does(source, context, expected):
    assert render(source, **context) == expected
    assert render(source, **context) == expected  # the remembered answer, the same


def test_the_tag_is_the_builtin_that_remembers():
    render("{% url 'booking:list' %}{% url 'booking:list' %}")
    info = links._reversed.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_a_missing_url_raises_as_djangos_tag_does():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no:such' %}")


def test_arguments_other_than_plain_ints_and_strings_are_not_kept():
    """An object is reversed from its value each time; a bool is not answered as 1 (True == 1
    and hashes alike)."""

    class Pk:
        def __init__(self, value):
            self.value = value

        def __int__(self):
            return self.value

    assert render("{% url 'facilities:detail' 1 %}") == "/facilities/1/"
    pk = Pk(5)
    assert render("{% url 'facilities:detail' pk %}", pk=pk) == "/facilities/5/"
    pk.value = 6
    assert render("{% url 'facilities:detail' pk %}", pk=pk) == "/facilities/6/"
    assert links.reverse("facilities:detail", (True,)) == django_reverse(
        "facilities:detail", args=[True]
    )
    info = links._reversed.cache_info()
    assert (info.currsize, info.hits) == (1, 0)  # only the plain 1, and never a hit


def test_the_answer_follows_the_script_prefix_and_the_urlconf():
    assert render("{% url 'booking:list' %}") == "/bookings/"
    set_script_prefix("/ward/")
    assert render("{% url 'booking:list' %}") == "/ward/bookings/"
    set_script_prefix("/")
    with override_settings(ROOT_URLCONF="tests.links_urls"):
        assert render("{% url 'booking:list' %}") == "/elsewhere/"
    assert render("{% url 'booking:list' %}") == "/bookings/"


def test_the_text_is_escaped_as_djangos_tag_escapes_it():
    assert render("{% url 'facilities:detail' 3 %}") == "/facilities/3/"
    assert render("{% autoescape off %}{% url 'booking:list' %}{% endautoescape %}") == "/bookings/"
