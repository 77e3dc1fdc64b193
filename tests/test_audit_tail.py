"""Deleting the newest audit entries (after dropping the append-only triggers) keeps a valid hash chain, so the
chain alone cannot see it: `station audit verify` and `station doctor` find it through the checkpoint kept
outside the database and by cross-checking the state tables against the log. Real station, real CLI."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import tree
from test_bundle import do_export, net  # noqa: F401  (the county/city pair)

from store import audit
from workflows.ingest import importer as ingest
from workflows.review import decide as review


@pytest.fixture
def decided(station, campaign):
    campaign()
    share = tree(
        station.root.parent / "share",
        {
            "趣味数学/教学设计.txt": "教学设计：趣味数学\n".encode(),
            "创意美术/教学设计.txt": "教学设计：创意美术\n".encode(),
        },
    )
    ids = ingest.run(station, [str(share)]).ids
    assert len(ids) == 2
    review.decide(station, [ids[0]], "recommend", "选题新颖", reviewer="李评审")
    review.decide(station, [ids[1]], "reject", "内容单薄", reviewer="李评审")
    return station


def _delete_newest(station, n: int) -> None:
    conn = sqlite3.connect(station.db_path)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE id > (SELECT MAX(id) FROM audit) - ?", [n])
    conn.commit()
    conn.close()


def test_intact_station_verifies_with_its_checkpoint(decided, cli):
    cp = json.loads((decided.root / audit.CHECKPOINT).read_text())
    last = decided.db().execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    assert (cp["id"], cp["hash"]) == (last[0], last[1])
    code, data, _ = cli("audit", "verify", "--json", check_json=True)
    assert code == 0 and data["ok"] is True and data["problems"] == []


def test_deleted_tail_is_reported_by_verify_and_doctor(decided, cli):
    _delete_newest(decided, 1)  # the reject decision's entry; the chain that is left is valid
    code, data, _ = cli("audit", "verify", "--json", check_json=True)
    assert code == 1 and data["ok"] is False
    by_code = {p["code"]: p for p in data["problems"]}
    assert set(by_code) == {"audit.tail_missing", "audit.unrecorded"}
    assert "末尾缺少 1 条" in by_code["audit.tail_missing"]["message"]
    assert by_code["audit.unrecorded"]["table"] == "decisions"
    code, text, _ = cli("audit", "verify")
    assert code == 1 and "末尾缺少 1 条" in text
    code, doc, _ = cli("doctor", "--json", check_json=True)
    item = next(i for i in doc["items"] if i["id"] == "audit")
    assert item["level"] == "problem" and "末尾缺少 1 条" in item["detail"]


def test_deleted_tail_and_checkpoint_file_still_found_by_the_state_tables(decided, cli):
    _delete_newest(decided, 1)
    (decided.root / audit.CHECKPOINT).unlink()
    code, data, _ = cli("audit", "verify", "--json", check_json=True)
    assert code == 1 and [p["code"] for p in data["problems"]] == ["audit.unrecorded"]
    assert data["problems"][0]["table"] == "decisions" and "#2" in data["problems"][0]["message"]


def test_deleted_tail_rewritten_with_new_entries_is_reported(decided, cli):
    _delete_newest(decided, 2)
    conn = sqlite3.connect(decided.db_path)
    conn.execute("DELETE FROM decisions")
    conn.execute("DELETE FROM reviews")
    conn.commit()
    conn.close()
    # new, honest-looking entries take the deleted entries' ids: the chain is valid, the anchor's hash is not
    review.decide(decided, [1], "pending", None, reviewer="李评审")
    review.decide(decided, [1], "recommend", "重新评审", reviewer="李评审")
    code, data, _ = cli("audit", "verify", "--json", check_json=True)
    assert code == 1 and [p["code"] for p in data["problems"]] == ["audit.tail_replaced"]


def test_checkpoint_never_moves_backwards(decided):
    cp = decided.root / audit.CHECKPOINT
    ahead = {"id": 10_000, "hash": "f" * 64, "at": "2026-12-01T00:00:00+00:00"}
    cp.write_text(json.dumps(ahead))
    review.decide(decided, [1], "pending", None, reviewer="李评审")
    assert json.loads(cp.read_text()) == ahead
    assert audit.verify(decided.db()).problems[0]["code"] == "audit.tail_missing"


def test_tail_covered_by_a_sent_bundles_signed_checkpoint_is_reported(net):  # noqa: F811
    """Entries a bundle's signed checkpoint already covered are gone, and so is the local checkpoint file."""
    sent = do_export(net)
    upto = net.county.db().execute("SELECT audit_upto FROM exports").fetchone()[0]
    conn = sqlite3.connect(net.county.db_path)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE id >= ?", [upto - 1])
    conn.commit()
    conn.close()
    (net.county.root / audit.CHECKPOINT).unlink()
    verdict = audit.verify(net.county.db())
    codes = [p["code"] for p in verdict.problems]
    assert not verdict.ok and codes[0] == "audit.tail_missing" and f"第 {sent['seq']} 号报送包" in verdict.reason
    assert "audit.unrecorded" in codes  # the decisions and the export are no longer in the log
