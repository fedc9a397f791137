from django.http import FileResponse

from tsuen.files.services import open_for


def download(request, file_id: int):
    """Facility photos are public; every other file answers 404 to whoever may not read it
    (logged out included: a login page would tell that the file exists)."""
    stored, handle = open_for(request.user, file_id)
    response = FileResponse(
        handle,
        content_type=stored.content_type,
        as_attachment=stored.content_type == "application/pdf",
        filename=stored.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
