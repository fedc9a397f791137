"""The API's docs page: the operations of the served OpenAPI document, rendered on the server
(no script or CDN assets, within the site's CSP)."""

from __future__ import annotations

from django.shortcuts import render

from tsuen.api.api import api
from tsuen.api.scopes import SCOPES

METHODS = ("get", "post", "put", "patch", "delete")


def docs(request):
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "scope": op.get("x-scope", ""),
                    "public": op.get("security") == [],
                    "statuses": sorted(op.get("responses", {})),
                    "tag": (op.get("tags") or [""])[0],
                }
            )
    operations.sort(key=lambda o: (o["tag"], o["path"], o["method"]))
    return render(
        request,
        "api/docs.html",
        {"operations": operations, "scopes": SCOPES, "version": schema["info"]["version"]},
    )
