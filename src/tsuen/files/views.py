import io

from django.http import FileResponse
from django.shortcuts import render

from tsuen.files.services import FileUnavailable, open_for


def download(request, file_id: int):
    """Facility photos are public; every other file answers 404 to whoever may not read it
    (logged out included: a login page would tell that the file exists). A file whose stored
    copy fails its integrity check, or was never scanned, answers 409 with an explanation."""
    try:
        stored, data = open_for(request.user, file_id)
    except FileUnavailable as unavailable:
        return render(request, "files/unavailable.html", {"reason": unavailable.reason}, status=409)
    response = FileResponse(
        io.BytesIO(data),
        content_type=stored.content_type,
        as_attachment=stored.content_type == "application/pdf",
        filename=stored.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
