from django.contrib.auth.decorators import login_required
from django.http import FileResponse

from tsuen.files.services import open_for


@login_required
def download(request, file_id: int):
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
