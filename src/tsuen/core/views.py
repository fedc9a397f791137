"""What the staff screens' views share: the POST half of a form page, a filtered list page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render


def handle_post(
    request,
    form: Form,
    act: Callable[[dict], object],
    *,
    done: str | Callable[[object], str],
    then: str | tuple | Callable[[object], str | tuple],
    refused: type[ValidationError] | tuple[type[ValidationError], ...] = ValidationError,
    error_field: str | None = None,
) -> HttpResponse | None:
    """When ``form`` was posted and is valid, ``act(cleaned_data)``.

    On success: flash ``done`` (or ``done(what act returned)``) and redirect to ``then`` (a URL
    name, a tuple of a URL name and its arguments, or a function of what act returned giving
    one). A ``refused`` error from the service goes onto the form (on ``error_field``, or the
    whole form). ``None`` means: render the page, with the status :func:`status_of` gives."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = act(form.cleaned_data)
    except refused as exc:
        form.add_error(error_field, exc)
        return None
    messages.success(request, done(result) if callable(done) else done)
    target = then(result) if callable(then) else then
    return redirect(*target) if isinstance(target, tuple) else redirect(target)


def status_of(form: Form) -> int:
    """400 for a posted form with errors (nothing was written), else 200."""
    return 400 if form.is_bound and form.errors else 200


def filtered_list(
    request,
    form: Form,
    *,
    filters: Callable[..., object],
    find: Callable[[object], object],
    guard: Callable[[], None],
    template: str,
    result: str = "page_obj",
    context: dict | Callable[[object | None], dict] | None = None,
    per_page: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """A list page narrowed by a GET filter form (``form``, bound to ``request.GET or None``).

    Valid or no filters: ``find(filters(**cleaned_data))`` (or ``find(filters())``) goes into the
    context as ``result``. Bad filters: no query is run (``guard()`` still answers 404 to anyone
    out of reach); the page comes back with the form's errors, ``result`` None and status 400.
    With ``per_page``, what ``find`` returns (a queryset) is shown a page at a time. ``query`` is
    the query string without its page, for the pager; ``context`` adds to the page (or is a
    function of the filters, None when they were bad)."""
    chosen = None
    if form.is_bound and not form.is_valid():
        guard()
        found, status = None, 400
    else:
        chosen = filters(**form.cleaned_data) if form.is_bound else filters()
        found = find(chosen)
        if per_page:
            found = Paginator(found, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    extra = context(chosen) if callable(context) else context or {}
    return render(
        request,
        template,
        {"form": form, result: found, "query": query.urlencode(), **extra},
        status=status,
    )
