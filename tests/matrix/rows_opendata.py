"""Open data (issue 13, item 6): the page and the files are public, for everyone, logged in or
not; importing the register from such a file is the ward administrator's (everyone else 404,
anonymous: login). A POST without a file answers the administrator with the form (400) and
writes nothing; a confirmation with no file held sends them back to the upload (302)."""

from tests.matrix.base import LOGIN, Row

ROWS = {
    "opendata:index": Row(200),
    "opendata:facilities_csv": Row(200),
    "opendata:facilities_json": Row(200),
    "facilities:ward_import": Row(404, {"anonymous": LOGIN, "municipal_admin": 200}),
    "facilities:ward_import@post": Row(
        404, {"anonymous": LOGIN, "municipal_admin": 400}, method="post", data=lambda world: {}
    ),
    "facilities:ward_import_confirm": Row(
        404, {"anonymous": LOGIN, "municipal_admin": 302}, method="post"
    ),
}
