import multiprocessing
import sqlite3

import pytest

import store
from store import audit, schema


def test_fresh_database_is_migrated_and_in_wal(station):
    db = station.db()
    assert schema.version(db) == schema.VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {
        "campaigns",
        "submissions",
        "files",
        "findings",
        "decisions",
        "quotas",
        "exports",
        "audit",
        "authors",
    } <= set(db.table_names())


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        store.connect(path)


def test_write_rolls_back_everything_on_error(station):
    db = station.db()
    with pytest.raises(ZeroDivisionError):
        with store.write(db):
            db.execute("INSERT INTO campaigns (name, profile, profile_version, created_at) VALUES ('a','p','1','t')")
            raise ZeroDivisionError
    assert db.execute("SELECT COUNT(*) FROM campaigns").fetchone()[0] == 0


def test_audit_chain_verifies_and_refuses_changes(station):
    db = station.db()
    with store.write(db):
        for i in range(3):
            audit.append(db, "tester", "thing.done", f"thing:{i}", n=i, text="中文")
    assert audit.verify(db).ok and audit.verify(db).entries == 3
    for sql in ("UPDATE audit SET actor = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with store.write(db):
                db.execute(sql)
    assert audit.verify(db).ok


def test_audit_verify_finds_tampering_past_the_triggers(station):
    db = station.db()
    with store.write(db):
        for i in range(3):
            audit.append(db, "tester", "thing.done", f"thing:{i}", n=i)
    with store.write(db):
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET detail = '{\"n\":9}' WHERE id = 2")
    verdict = audit.verify(db)
    assert not verdict.ok and verdict.broken_at == 2


def test_audit_append_needs_a_transaction(station):
    with pytest.raises(RuntimeError):
        audit.append(station.db(), "tester", "x")


def _writer(path, n):
    db = store.connect(path)
    for i in range(n):
        with store.write(db):
            audit.append(db, f"p{multiprocessing.current_process().pid}", "tick", None, i=i)


def test_concurrent_writer_processes_lose_nothing(station):
    station.db()
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(station.db_path, 50)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    db = station.db()
    assert db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 200
    assert audit.verify(db).ok


def test_object_store_dedups_and_cleans_up(station, tmp_path):
    objects = station.objects
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 3_000_000)
    sha1, size1, head = objects.put_file(src)
    sha2, _, _ = objects.put_file(src)
    assert sha1 == sha2 and size1 == 3_000_000 and head.startswith(b"xxx")
    assert objects.path(sha1).read_bytes() == src.read_bytes()
    assert list(objects.tmp.iterdir()) == []
