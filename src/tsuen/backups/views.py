"""The backup status page: thin, the service decides who may see it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tsuen.backups import services


@login_required
def status(request):
    return render(request, "backups/status.html", {"status": services.status(request.user)})
