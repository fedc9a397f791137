"""PDFs fetch no URLs: file:// and network URLs in a document are refused (item 12)."""

from __future__ import annotations

import base64
import http.server
import io
import subprocess
import threading

import pytest
from PIL import Image

from tsuen.core.pdf import URLRefused, offline_fetcher_class, render_pdf


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def images_in(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(listing.strip().splitlines()) - 2  # two header lines


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://127.0.0.1/", "https://x.jp/a", "a.png"]
)
def test_the_fetcher_refuses_files_network_and_relative_urls(url):
    with pytest.raises(URLRefused):
        offline_fetcher_class()().fetch(url)


def test_a_file_url_in_a_document_is_left_out(tmp_path):
    image = tmp_path / "secret.png"
    image.write_bytes(png_bytes())
    inline = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    # The control: the same image inline (data:) is embedded, so the count can see an image.
    assert images_in(render_pdf(f'<p>控え</p><img src="{inline}">'), tmp_path) == 1
    assert images_in(render_pdf(f'<p>控え</p><img src="{image.as_uri()}">'), tmp_path) == 0


def test_a_network_url_in_a_document_is_never_requested():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/style.css"
        html = f'<link rel="stylesheet" href="{url}"><img src="{url}.png"><p>通知</p>'
        assert render_pdf(html).startswith(b"%PDF-")
    finally:
        server.shutdown()
    assert hits == []
