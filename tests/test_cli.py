import json

import pytest
from conftest import tree, write_zip


def test_campaign_import_list_show_audit(cli, tmp_path, video):
    code, out, _ = cli(
        "campaign", "add", "课后服务2024", "--profile", "after-school-2024", "--year", 2024, "--json", check_json=True
    )
    assert code == 0 and out["profile"] == "after-school-2024"
    share = tree(tmp_path / "share", {"实验小学课后服务课程资源/课程.mp4": video})
    write_zip(share / "坏的课后服务课程资源.zip", {"../x": b"1"})
    code, out, _ = cli("import", share, "--campaign", "课后服务2024", "--json", check_json=True)
    assert code == 1  # one archive was rejected
    assert {k: out[k] for k in ("submissions", "files", "rejected")} == {"submissions": 2, "files": 2, "rejected": 1}
    assert out["bytes"] == video.stat().st_size + (share / "坏的课后服务课程资源.zip").stat().st_size
    code, rows, _ = cli("list", "--json", check_json=True)
    assert code == 0 and len(rows) == 2
    for key in ("id", "title", "authors", "school", "stage", "project", "status", "decision", "files", "findings"):
        assert key in rows[0]
    assert set(rows[0]["files"][0]) >= {"path", "size", "sha256", "role"}
    bad = next(r for r in rows if r["status"] == "rejected")
    assert set(bad["findings"][0]) >= {"rule", "status", "message", "measured", "expected", "file"}
    code, item, _ = cli("show", bad["id"], "--json", check_json=True)
    assert item["history"][0]["action"] == "submission.rejected"
    code, text, _ = cli("list")
    assert "已拒收" in text and "课程" in text
    code, verdict, _ = cli("audit", "verify", "--json", check_json=True)
    assert code == 0 and verdict["ok"] and verdict["entries"] == 4
    code, log, _ = cli("audit", "--json", check_json=True)
    actions = [e["action"] for e in log]
    assert actions[0] == "campaign.added" and actions[-1] == "check"  # the quick checks after the import
    assert sorted(actions[1:3]) == ["submission.imported", "submission.rejected"]


@pytest.mark.parametrize(
    "args, code_id",
    [
        (["import", "/nonexistent"], "campaign.none"),
        (["show", "99"], "submission.unknown"),
        (["campaign", "add", "x", "--profile", "no-such"], "profile.unknown"),
    ],
)
def test_errors_have_a_code_and_chinese_message(cli, args, code_id):
    code, out, err = cli(*args, "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == code_id and any("\u4e00" <= c <= "\u9fff" for c in error["message"])
    code, out, err = cli(*args)
    assert code == 2 and "错误" in err and code_id in err


def test_profiles_are_listed_and_an_edited_copy_wins(cli, tmp_path):
    code, rows, _ = cli("profiles", "list", "--json", check_json=True)
    ids = {r["id"] for r in rows}
    assert ids == {
        "after-school-2024",
        "jpk-subject",
        "jpk-experiment",
        "jpk-special",
        "jpk-subject-jiangsu",
        "jpk-experiment-jiangsu",
        "jpk-special-jiangsu",
        "ce-video",
        "ce-audio",
        "infotech-exchange",
    }
    code, data, _ = cli("profiles", "show", "jpk-subject", "--json", check_json=True)
    custom = tmp_path / "station" / "config" / "profiles"
    custom.mkdir(parents=True, exist_ok=True)
    from workflows.profiles.load import builtin_dir

    text = (
        (builtin_dir() / "jpk-subject.toml").read_text("utf-8").replace('version = "2024.1"', 'version = "2024.1-县"')
    )
    (custom / "jpk-subject.toml").write_text(text, "utf-8")
    code, data, _ = cli("profiles", "show", "jpk-subject", "--json", check_json=True)
    assert data["version"] == "2024.1-县"
    (custom / "jpk-subject.toml").write_text(text.replace("levels", "levelz"), "utf-8")
    code, out, err = cli("profiles", "show", "jpk-subject")
    assert code == 2 and "levelz" in err and "jpk-subject.toml" in err and "行" in err
