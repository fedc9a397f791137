"""The rush's booking confirms counted in CPU instructions: a figure that does not move with the
machine's speed, to tell whether a change to tsuen made a request cheaper.

    TSUEN_DB=postgresql .venv/bin/python -m bench.rush_instructions
    TSUEN_DB=postgresql .venv/bin/python -m bench.rush_instructions --children 300 --days 3

``bench.booking_rush`` measures what counts (requests a second against the reference, under
gunicorn and wrk), but this machine's speed moves by a tenth from one run to the next, and a
change worth 3 % is lost in it. Here the same ward and the same planned requests (built by
``bench.booking_rush``) are answered in one process by tsuen's WSGI application, under
valgrind's callgrind, which counts the instructions the process executes: the same code and
data give the same count within about 0.1 %, whatever else the machine is doing. Only tsuen's
own process is counted (not PostgreSQL's or Redis's, nor the network's waits).

How: this process builds the ward in a throw-away PostgreSQL database (Django's test-database
machinery, dropped at the end) and writes the plan, then runs itself under
``valgrind --tool=callgrind --instr-atstart=no``: that child loads tsuen, answers every planned
request once without counting (warm: code loaded, templates compiled, statements prepared),
deletes the bookings, turns counting on (``callgrind_control``), answers them all again, and
turns it off. Printed: instructions per request, and the answers (302: booked; 400: refused).
valgrind is Debian's package (``apt-get install valgrind``); a run takes about a minute here.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import booking_rush

#: The host the planned requests name (tests/settings.py allows it, as for the rush's servers).
HOST = "127.0.0.1"


def _environ(line: str) -> dict:
    """The WSGI environ of one planned confirm POST (path?query, Cookie, form body)."""
    target, cookie, body = line.split("\t")
    path, _, query = target.partition("?")
    data = body.encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_COOKIE": cookie,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_HOST": HOST,
        "SERVER_NAME": HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": HOST,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
    }


def _answer_all(application, lines: list[str]) -> dict[str, int]:
    answers: dict[str, int] = {}
    for line in lines:
        status: list[str] = []
        response = application(
            _environ(line), lambda s, headers, exc=None, into=status: into.append(s)
        )
        b"".join(response)
        response.close()
        code = status[0][:3]
        answers[code] = answers.get(code, 0) + 1
    return answers


def _callgrind(switch: str) -> None:
    tool = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run(  # noqa: S603  (valgrind's own tool, this process's id)
        [tool, "-i", switch, str(os.getpid())], check=True, capture_output=True
    )


def measure(plan_file: Path) -> None:
    """The child, under valgrind: warm pass, then the counted pass."""
    booking_rush._setup_django()
    plan = json.loads(plan_file.read_text())
    from tsuen.wsgi import application

    warm = _answer_all(application, plan["lines"])
    booking_rush.reset_bookings()
    _callgrind("on")
    counted = _answer_all(application, plan["lines"])
    _callgrind("off")
    print(json.dumps({"warm": warm, "counted": counted}), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    booking_rush.ward_arguments(parser)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child's plan
    args = parser.parse_args(argv)
    if args.measure:
        measure(args.measure)
        return
    if os.environ.get("TSUEN_DB") != "postgresql":
        sys.exit("The rush runs on PostgreSQL: TSUEN_DB=postgresql")
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        sys.exit("valgrind is not installed (Debian package valgrind)")
    # The child reads the sessions and the encrypted rows this process writes: the same secrets
    # for both, made for this run.
    os.environ.setdefault("TSUEN_SECRET_KEY", secrets.token_urlsafe(50))
    for name in ("TSUEN_FIELD_KEYS", "TSUEN_AUDIT_KEYS"):
        os.environ.setdefault(name, "1:" + base64.b64encode(os.urandom(32)).decode("ascii"))
    booking_rush._setup_django()  # the run's own Redis key prefix, inherited by the child
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases
    from django.urls import reverse

    databases = setup_databases(verbosity=0, interactive=False, keepdb=False)
    work_dir = Path(tempfile.mkdtemp(prefix="tsuen-instructions-"))
    try:
        rush = booking_rush.build(args.children, args.per_facility, args.capacity, args.days)
        lines = booking_rush.plan_lines(rush, reverse("booking:book"), rush.days[:-1])
        plan_file = work_dir / "plan.json"
        plan_file.write_text(json.dumps({"lines": lines}))
        connections.close_all()
        env = dict(os.environ) | {
            "TSUEN_PG_NAME": settings.DATABASES["default"]["NAME"],
            "PYTHONPATH": f"{booking_rush.ROOT / 'src'}{os.pathsep}{booking_rush.ROOT}",
        }
        result = subprocess.run(  # noqa: S603  (valgrind running this same module)
            [
                shutil.which("valgrind") or "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={work_dir / 'callgrind.out'}",
                sys.executable,
                "-m",
                "bench.rush_instructions",
                "--measure",
                str(plan_file),
            ],
            env=env,
            cwd=booking_rush.ROOT,
            capture_output=True,
            text=True,
        )
        collected = re.search(r"Collected : (\d+)", result.stderr)
        answers = next(
            (json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")), None
        )
        if result.returncode != 0 or collected is None or answers is None:
            sys.exit(f"the counted run failed:\n{result.stdout}\n{result.stderr[-3000:]}")
        instructions = int(collected.group(1))
        counted = answers["counted"]
        print(
            f"ward: {len(rush.children)} children, {len(rush.days) - 1} days; "
            f"{len(lines)} booking confirms answered in-process by tsuen's WSGI application"
        )
        print(f"answers (counted pass): {dict(sorted(counted.items()))} (302 booked, 400 refused)")
        print(
            f"instructions: {instructions:,} in all, "
            f"{instructions / len(lines) / 1e6:.2f} million a request"
        )
    finally:
        connections.close_all()
        teardown_databases(databases, verbosity=0)
        booking_rush.forget_redis_keys()
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
