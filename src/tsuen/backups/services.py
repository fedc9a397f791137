"""Backup, restore and the restore drill (SECURITY.md item 13; docs/backups.md).

* :func:`make_backup` dumps the database as one consistent snapshot (PostgreSQL: ``pg_dump``
  custom format under an exported snapshot; SQLite: the online backup API), counts every table
  and reads the audit chain heads *from that same snapshot*, and streams it all into one
  encrypted file (:mod:`tsuen.backups.container`) with a manifest. Uploaded files need no part
  of their own: they live encrypted in the database (``files.StoredFileBlob``), so the dump
  holds them; the manifest counts them.
* :func:`restore` decrypts and checks the whole file (every chunk authenticated, every part's
  size and SHA-256 against the manifest) into a private work folder **before** it touches the
  database, refuses a database that has tables unless told to replace them, restores in one
  transaction, then compares every table's row count and the chain heads with the manifest and
  verifies the audit chains.
* :func:`drill` restores the backup into a scratch database (PostgreSQL: a new database on the
  same server, dropped afterwards; SQLite: a temporary file), checks it the same way and records
  the result in the live database.

Each run is recorded as a :class:`~tsuen.backups.models.BackupRun` (no personal data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import os
import secrets
import shutil
import sqlite3

# pg_dump and pg_restore run with argument lists of our own, never through a shell.
import subprocess  # nosec B404
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db import Error as DatabaseError
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from tsuen.audit import Action, record
from tsuen.audit.models import AuditChainHead
from tsuen.audit.verify import verify_all
from tsuen.backups import container
from tsuen.backups.keys import backup_key
from tsuen.backups.models import BackupRun, Kind, Result
from tsuen.backups.routing import as_default
from tsuen.core import clock
from tsuen.files.models import StoredFile, StoredFileBlob
from tsuen.municipalities.models import Municipality

FORMAT_VERSION = 1
DB_PART = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
#: Events unsealed at backup time are sealed by the restored system's sequencer; their age at
#: restore time says nothing about the backup, so the drill does not count it against the chain.
_NO_STALENESS = dt.timedelta(days=365 * 100)


_AUDITED_AS = {Kind.BACKUP: Action.EXPORT, Kind.RESTORE: Action.CREATE, Kind.DRILL: Action.READ}


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, in the operator's words."""


class RestoreRefused(BackupError):
    """The restore was refused before the database was touched."""


@dataclasses.dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    manifest: dict


@dataclasses.dataclass
class RestoreReport:
    manifest: dict
    file_sha256: str
    file_size: int
    tables_checked: int = 0
    rows_checked: int = 0
    count_mismatches: list[str] = dataclasses.field(default_factory=list)
    extra_tables: list[str] = dataclasses.field(default_factory=list)
    head_mismatches: list[str] = dataclasses.field(default_factory=list)
    chains: list[str] = dataclasses.field(default_factory=list)
    chains_broken: list[str] = dataclasses.field(default_factory=list)
    unsealed: int = 0
    #: Apps whose latest migration is not in the backup (it was made by an older version).
    migrations_behind: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.count_mismatches or self.head_mismatches or self.chains_broken)

    def lines(self) -> list[str]:
        m = self.manifest
        out = [
            f"Backup made {m['created_at']} on {m['database_vendor']} "
            f"(file SHA-256 {self.file_sha256}, {self.file_size} bytes)",
            "Checksums: every chunk authenticated; every part's size and SHA-256 match the "
            "manifest",
            f"Row counts: {self.tables_checked} tables, {self.rows_checked} rows; "
            + (
                "all match the manifest"
                if not self.count_mismatches
                else f"{len(self.count_mismatches)} DIFFER"
            ),
        ]
        out += [f"  DIFFERS {line}" for line in self.count_mismatches]
        if self.extra_tables:
            out.append(f"  tables not in the backup (left as they were): {self.extra_tables}")
        out.append(
            "Chain heads: " + ("all match the manifest" if not self.head_mismatches else "DIFFER")
        )
        out += [f"  DIFFERS {line}" for line in self.head_mismatches]
        out.append("Audit chains:")
        out += [f"  {line}" for line in self.chains] or ["  no audit events"]
        if self.unsealed:
            out.append(
                f"  {self.unsealed} events were not yet sealed when the backup was made: the "
                "sequencer (seal_audit_chain) seals them when it runs"
            )
        if self.migrations_behind:
            out.append(
                "Schema: the backup predates this version's migrations of "
                f"{', '.join(self.migrations_behind)}: run manage.py migrate before opening"
            )
        else:
            out.append("Schema: at this version's latest migrations")
        out.append("RESULT: " + ("OK" if self.ok else "FAILED"))
        return out


def operator_name() -> str:
    """Who ran the command: the operating-system account (``sudo``'s caller when sudo'd)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    caller = os.environ.get("SUDO_USER")
    return f"{caller} (as {user})" if caller and caller != user else user


def private_workdir(parent: Path | None = None) -> Path:
    """A fresh folder only this user can read (0700), for plaintext parts."""
    base = Path(parent) if parent else None
    if base is not None:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="tsuen-backup-", dir=base))


# --- facts read from a snapshot ---------------------------------------------------------------


def _quote(vendor: str, name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts(cursor, vendor: str, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        # Table names come from the database's own catalogue, quoted; no value is formatted.
        sql = f"SELECT COUNT(*) FROM {_quote(vendor, table)}"  # noqa: S608  # nosec B608
        cursor.execute(sql)
        counts[table] = cursor.fetchone()[0]
    return counts


def _chain_heads(cursor, vendor: str, tables: list[str]) -> list[dict]:
    heads_table = AuditChainHead._meta.db_table
    if heads_table not in tables:
        return []
    wards = Municipality._meta.db_table
    cursor.execute(
        f"SELECT h.key, h.municipality_id, m.code, h.seq, h.head_hash "  # noqa: S608  # nosec B608
        f"FROM {_quote(vendor, heads_table)} h LEFT JOIN {_quote(vendor, wards)} m "
        "ON m.id = h.municipality_id ORDER BY h.key"
    )
    return [
        {"chain": key, "municipality_id": mid, "municipality_code": code, "seq": seq, "hash": h}
        for key, mid, code, seq, h in cursor.fetchall()
    ]


def _migrations(cursor, vendor: str, tables: list[str]) -> dict[str, list[str]]:
    """Every migration applied, by app (names sorted): the schema the backup holds. A set, not
    "the last applied": a migration undone and applied again is recorded anew, so the order of
    the rows is not the order of the migrations."""
    table = MigrationRecorder.Migration._meta.db_table
    if table not in tables:
        return {}
    sql = f"SELECT app, name FROM {_quote(vendor, table)} ORDER BY app, name"  # noqa: S608  # nosec B608
    cursor.execute(sql)
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _facts(cursor, vendor: str, tables: list[str]) -> dict:
    counts = _counts(cursor, vendor, tables)
    return {
        "tables": counts,
        "audit_chain_heads": _chain_heads(cursor, vendor, tables),
        "migrations": _migrations(cursor, vendor, tables),
        "uploaded_files": {
            "stored_in": "the database (files.StoredFileBlob, encrypted with the field keys)",
            "files": counts.get(StoredFile._meta.db_table, 0),
            "blobs": counts.get(StoredFileBlob._meta.db_table, 0),
        },
    }


def _sqlite_tables(raw: sqlite3.Connection) -> list[str]:
    rows = raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [name for (name,) in rows]


# --- PostgreSQL tools -------------------------------------------------------------------------


def _pg_env(settings_dict: dict) -> dict[str, str]:
    """libpq's variables for the alias (the password never on a command line)."""
    env = dict(os.environ)
    pairs = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
    }
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        pairs["PGSSLMODE"] = options["sslmode"]
    env.update({k: v for k, v in pairs.items() if v})
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(Debian: postgresql-client) of the server's major version"
        )
    return path


# --- backup -----------------------------------------------------------------------------------


def default_file_name(when: dt.datetime) -> str:
    return f"tsuen-{when.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.tsuenbackup"


def make_backup(
    target: Path,
    *,
    alias: str = DEFAULT_DB_ALIAS,
    work_dir: Path | None = None,
    command: str = "backup",
    operator: str | None = None,
) -> BackupResult:
    """Back up the ``alias`` database into ``target`` (a file, or a folder for a dated name)."""
    started = clock.now()
    operator = operator or operator_name()
    conn = connections[alias]
    key = backup_key()  # before anything is read: no key, no backup
    target = Path(target)
    if target.is_dir():
        target = target / default_file_name(started)
    if target.exists():
        raise BackupError(f"{target} already exists: a backup never overwrites a file")
    try:
        writer = container.BackupWriter(target, key)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror}") from None
    work = private_workdir(work_dir)
    try:
        if conn.vendor == "postgresql":
            facts = _backup_postgresql(conn, writer)
        elif conn.vendor == "sqlite":
            facts = _backup_sqlite(conn, writer, work)
        else:
            raise BackupError(f"no backup method for {conn.vendor}")
        manifest = {
            "format": "tsuen-backup",
            "format_version": FORMAT_VERSION,
            "created_at": started.isoformat(),
            "database_vendor": conn.vendor,
            "operator": operator,
            "parts": list(writer.parts),
            **facts,
        }
        size, sha256 = writer.finish(manifest)
    except BaseException as exc:
        writer.abandon()
        _record(alias, Kind.BACKUP, Result.FAILED, started, command, operator, conn.vendor,
                file_name=target.name, detail=str(exc)[:2000])  # fmt: skip
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(f"{target}.sha256").write_text(f"{sha256}  {target.name}\n", encoding="ascii")
    counts = manifest["tables"]
    _record(
        alias, Kind.BACKUP, Result.OK, started, command, operator, conn.vendor,
        file_name=target.name, size=size, sha256=sha256,
        detail=f"{len(counts)} tables, {sum(counts.values())} rows; "
        f"{len(manifest['audit_chain_heads'])} audit chains",
    )  # fmt: skip
    return BackupResult(target, size, sha256, manifest)


def _backup_postgresql(conn, writer: container.BackupWriter) -> dict:
    pg_dump = _tool("pg_dump")
    if conn.in_atomic_block:
        raise BackupError("a backup needs its own transaction: do not run it inside one")
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        # One snapshot for the dump, the counts and the chain heads: they describe the same data.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        tables = conn.introspection.table_names(cursor)
        facts = _facts(cursor, "postgresql", tables)
        cursor.execute("SHOW server_version")
        facts["server_version"] = cursor.fetchone()[0]
        args = [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password"]
        with tempfile.TemporaryFile() as errors:
            dump = subprocess.Popen(  # noqa: S603  # nosec B603
                args, stdout=subprocess.PIPE, stderr=errors, env=_pg_env(conn.settings_dict)
            )
            try:
                writer.add_stream(DB_PART["postgresql"], dump.stdout)
            finally:
                dump.stdout.close()
                returncode = dump.wait()
            if returncode != 0:
                errors.seek(0)
                message = errors.read().decode("utf-8", "replace").strip()[-1000:]
                raise BackupError(f"pg_dump failed ({returncode}): {message}")
    facts["dump_tool"] = subprocess.run(  # noqa: S603  # nosec B603
        [pg_dump, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return facts


def _backup_sqlite(conn, writer: container.BackupWriter, work: Path) -> dict:
    if conn.in_atomic_block:
        raise BackupError("a backup needs its own transaction: do not run it inside one")
    conn.ensure_connection()
    copy_path = work / DB_PART["sqlite"]
    copy = sqlite3.connect(copy_path)
    try:
        # The online backup API: a consistent copy while the application goes on writing.
        conn.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = copy.cursor()
        facts = _facts(cursor, "sqlite", _sqlite_tables(copy))
        facts["server_version"] = sqlite3.sqlite_version
    finally:
        copy.close()
    with open(copy_path, "rb") as source:
        writer.add_stream(DB_PART["sqlite"], source)
    return facts


# --- restore ----------------------------------------------------------------------------------


def _existing_tables(conn) -> list[str]:
    with conn.cursor() as cursor:
        return conn.introspection.table_names(cursor)


def plan(manifest: dict, alias: str, existing: list[str]) -> list[str]:
    """What a restore will do, in words, for the confirmation prompt."""
    conn = connections[alias]
    name = conn.settings_dict.get("NAME")
    counts = manifest["tables"]
    lines = [
        f"Restore the backup made {manifest['created_at']} ({manifest['database_vendor']}, "
        f"{len(counts)} tables, {sum(counts.values())} rows, "
        f"{manifest['uploaded_files']['files']} uploaded files, "
        f"{len(manifest['audit_chain_heads'])} audit chains)",
        f"into the database {name!s} (alias {alias}).",
    ]
    if existing:
        lines.append(
            f"The database has {len(existing)} tables now: every table in the backup is DROPPED "
            "and replaced by the backup's. This cannot be undone."
        )
    else:
        lines.append("The database is empty.")
    return lines


def restore(
    path: Path,
    *,
    alias: str = DEFAULT_DB_ALIAS,
    replace: bool = False,
    confirm: Callable[[list[str]], bool] = lambda lines: True,
    work_dir: Path | None = None,
    command: str = "restore",
    operator: str | None = None,
    record: bool = True,
) -> RestoreReport:
    """Restore ``path`` into ``alias``; see the module's docstring for the order of checks."""
    started = clock.now()
    operator = operator or operator_name()
    conn = connections[alias]
    key = backup_key()
    path = Path(path)
    if not path.is_file():
        raise RestoreRefused(f"{path} is not a file")
    work = private_workdir(work_dir)
    try:
        try:
            manifest, parts = container.unpack(path, key, work)
        except container.BackupDamaged as exc:
            raise RestoreRefused(f"{exc}. Nothing was restored.") from None
        size, sha256 = container.file_sha256(path)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise RestoreRefused(f"backup format {manifest.get('format_version')} is not known")
        if manifest["database_vendor"] != conn.vendor:
            raise RestoreRefused(
                f"this is a {manifest['database_vendor']} backup; the database is {conn.vendor}"
            )
        if conn.in_atomic_block:
            raise RestoreRefused("a restore needs its own transaction: do not run it inside one")
        existing = _existing_tables(conn)
        if existing and not replace:
            raise RestoreRefused(
                f"the database already has {len(existing)} tables. A restore goes into an empty "
                "database; to replace this one's contents, give --replace (irreversible). "
                "Nothing was restored."
            )
        if not confirm(plan(manifest, alias, existing)):
            raise RestoreRefused("not confirmed: nothing was restored")
        if conn.vendor == "postgresql":
            _restore_postgresql(conn, parts[DB_PART["postgresql"]], replace=bool(existing))
        else:
            _restore_sqlite(conn, parts[DB_PART["sqlite"]])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = check_restored(alias, manifest, sha256, size)
    if record:
        _record(
            alias, Kind.RESTORE, Result.OK if report.ok else Result.FAILED, started, command,
            operator, conn.vendor, file_name=path.name, size=size, sha256=sha256,
            backup_created_at=manifest["created_at"], detail="\n".join(report.lines()),
        )  # fmt: skip
    return report


def check_file(path: Path) -> tuple[dict, int, str]:
    """Check a backup file without restoring it (key, every chunk, every part's SHA-256);
    return its manifest, size and SHA-256. Decrypts as it reads and keeps nothing."""
    key = backup_key()
    path = Path(path)
    if not path.is_file():
        raise RestoreRefused(f"{path} is not a file")
    try:
        manifest, _parts = container.unpack(path, key, None)
    except container.BackupDamaged as exc:
        raise RestoreRefused(str(exc)) from None
    size, sha256 = container.file_sha256(path)
    return manifest, size, sha256


def _restore_postgresql(conn, dump: Path, *, replace: bool) -> None:
    pg_restore = _tool("pg_restore")
    conn.close()  # nothing of ours holds a lock on what is replaced
    args = [
        pg_restore,
        "--single-transaction",  # all or nothing: a failed restore leaves the database as it was
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        f"--dbname={conn.settings_dict['NAME']}",
    ]
    if replace:
        args += ["--clean", "--if-exists"]
    done = subprocess.run(  # noqa: S603  # nosec B603
        [*args, str(dump)], capture_output=True, env=_pg_env(conn.settings_dict), check=False
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[-1500:]
        raise BackupError(f"pg_restore failed, nothing was restored: {message}")


def _restore_sqlite(conn, copy_path: Path) -> None:
    conn.ensure_connection()
    target = conn.connection
    (journal,) = target.execute("PRAGMA journal_mode").fetchone()
    source = sqlite3.connect(copy_path)
    try:
        # Replaces the whole database in one step; readers see the old or the new.
        source.backup(target)
    finally:
        source.close()
    # The journal mode the database itself reported just before (wal, delete, memory, ...).
    target.execute(f"PRAGMA journal_mode={journal}")


def check_restored(alias: str, manifest: dict, sha256: str, size: int) -> RestoreReport:
    """Compare the restored database with the manifest and verify its audit chains."""
    conn = connections[alias]
    report = RestoreReport(manifest, sha256, size)
    expected: dict[str, int] = manifest["tables"]
    with conn.cursor() as cursor:
        tables = conn.introspection.table_names(cursor)
        present = [t for t in expected if t in tables]
        counts = _counts(cursor, conn.vendor, present)
        heads = _chain_heads(cursor, conn.vendor, tables)
    for table, want in sorted(expected.items()):
        got = counts.get(table)
        if got != want:
            report.count_mismatches.append(
                f"{table}: backup {want}, restored {'missing' if got is None else got}"
            )
    report.tables_checked = len(present)
    report.rows_checked = sum(counts.values())
    report.extra_tables = sorted(set(tables) - set(expected))
    if heads != manifest["audit_chain_heads"]:
        want_heads = {h["chain"]: (h["seq"], h["hash"]) for h in manifest["audit_chain_heads"]}
        got_heads = {h["chain"]: (h["seq"], h["hash"]) for h in heads}
        for chain in sorted(set(want_heads) | set(got_heads)):
            if want_heads.get(chain) != got_heads.get(chain):
                report.head_mismatches.append(
                    f"{chain}: backup {want_heads.get(chain)}, restored {got_heads.get(chain)}"
                )
    latest = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
    applied = manifest.get("migrations", {})
    report.migrations_behind = sorted(
        app for app, name in latest if name not in applied.get(app, ())
    )
    with as_default(alias):
        results = verify_all(stale_after=_NO_STALENESS)
    for result in results:
        report.chains.append(str(result))
        report.unsealed += result.unsealed
        if not result.ok:
            report.chains_broken.append(result.chain)
    return report


# --- the drill --------------------------------------------------------------------------------


def drill(
    path: Path,
    *,
    work_dir: Path | None = None,
    command: str = "restore_drill",
    operator: str | None = None,
) -> RestoreReport:
    """Restore ``path`` into a scratch database, check it, drop it; record the result here."""
    started = clock.now()
    operator = operator or operator_name()
    live = connections[DEFAULT_DB_ALIAS]
    alias = f"backup_drill_{secrets.token_hex(4)}"
    report = None
    error = ""
    scratch_dir = private_workdir(work_dir)
    try:
        with ScratchDatabase(live, alias, scratch_dir):
            report = restore(
                path, alias=alias, work_dir=work_dir, command=command, operator=operator,
                record=False,
            )  # fmt: skip
    except (BackupError, DatabaseError, OSError) as exc:  # a failed drill is recorded too
        error = str(exc)
    finally:
        shutil.rmtree(scratch_dir, ignore_errors=True)
    size, sha256 = container.file_sha256(path) if Path(path).is_file() else (None, "")
    _record(
        DEFAULT_DB_ALIAS,
        Kind.DRILL,
        Result.OK if report is not None and report.ok else Result.FAILED,
        started, command, operator, live.vendor, file_name=Path(path).name, size=size,
        sha256=sha256, backup_created_at=report.manifest["created_at"] if report else None,
        detail="\n".join(report.lines()) if report else error[:2000],
    )  # fmt: skip
    if report is None:
        raise BackupError(error)
    return report


class ScratchDatabase:
    """A database alias of its own for the drill, made empty and removed afterwards."""

    def __init__(self, live, alias: str, folder: Path) -> None:
        live = connections[live.alias]  # the wrapper itself, not django.db.connection's proxy
        self.live, self.alias, self.folder = live, alias, folder
        self.settings_dict = dict(live.settings_dict)
        if live.vendor == "postgresql":
            self.name = f"{live.settings_dict['NAME']}_drill_{secrets.token_hex(4)}"[:63]
        else:
            self.name = str(folder / "drill.sqlite3")
        self.settings_dict["NAME"] = self.name

    def _server(self, sql: str) -> None:
        with self.live._nodb_cursor() as cursor:
            cursor.execute(sql)

    def __enter__(self):
        if self.live.vendor == "postgresql":
            self._server(f"CREATE DATABASE {_quote('postgresql', self.name)}")
        # A connection of its own under a new alias (not a configured database): the ORM, the
        # checks (routing.as_default) find it through ``connections``.
        connections[self.alias] = type(self.live)(self.settings_dict, self.alias)
        return self

    def __exit__(self, *exc_info):
        connections[self.alias].close()
        del connections[self.alias]
        if self.live.vendor == "postgresql":
            self._server(f"DROP DATABASE IF EXISTS {_quote('postgresql', self.name)} WITH (FORCE)")
        return False


def _record(alias, kind, result, started, command, operator, vendor, **fields) -> None:
    """Keep the run's record; a database without the table (older schema) is told, not fatal."""
    if isinstance(fields.get("backup_created_at"), str):
        fields["backup_created_at"] = dt.datetime.fromisoformat(fields["backup_created_at"])
    try:
        run = BackupRun.objects.using(alias).create(
            kind=kind, result=result, started_at=started, finished_at=clock.now(),
            command=command[:200], operator=operator[:100], database_vendor=vendor, **fields,
        )  # fmt: skip
        # The national audit chain holds the run and the file's SHA-256: a backup is the
        # largest export there is, and a restore or drill discloses every record to its operator.
        with as_default(alias):
            record(_AUDITED_AS[kind], run, document_sha256=run.sha256)
    except Exception as exc:  # the run's outcome stands; the record is what failed
        import logging

        logging.getLogger("tsuen.backups").error("could not record the %s run: %s", kind, exc)


def last_runs(before: dt.datetime | None = None) -> dict[str, BackupRun | None]:
    """The monthly report's and the status page's figures: the last runs, or the last that
    finished before ``before`` (a past month's report shows the runs as they stood then)."""
    runs = (
        BackupRun.objects.all()
        if before is None
        else BackupRun.objects.filter(finished_at__lt=before)
    )
    return {
        "backup": runs.last_of(Kind.BACKUP),
        "backup_ok": runs.last_ok(Kind.BACKUP),
        "drill": runs.last_of(Kind.DRILL),
        "drill_ok": runs.last_ok(Kind.DRILL),
    }


# --- the status page --------------------------------------------------------------------------


@dataclasses.dataclass
class Status:
    last_backup: BackupRun | None
    last_good_backup: BackupRun | None
    last_drill: BackupRun | None
    last_good_drill: BackupRun | None
    recent: list[BackupRun]


def status(user) -> Status:
    """The last backups and drills, for the ward's administrator and auditor and the national
    operator (404 for anyone else). Backups cover the whole system: every ward sees the same."""
    from tsuen.authz.policy import Action, require

    require(user, Action.BACKUP_STATUS_VIEW, Municipality)
    runs = last_runs()
    return Status(
        runs["backup"], runs["backup_ok"], runs["drill"], runs["drill_ok"],
        list(BackupRun.objects.all()[:20]),
    )  # fmt: skip
