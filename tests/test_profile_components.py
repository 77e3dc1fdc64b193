"""What each notice asks a work to contain, checked on real imports under the shipped profiles."""

import pytest
from conftest import tree

from store import queries
from workflows import campaigns
from workflows.checks import run as checks
from workflows.ingest import importer as ingest

SUBJECT = ["微课视频.mp4", "教学设计.pdf", "学习任务单.pdf", "课件.pdf", "作业练习.pdf"]
EXPERIMENT = ["实验教学视频.mp4", "实验教学设计.pdf", "导学案.pdf", "课件.pdf"]
PDF = b"%PDF-1.4\n%%EOF\n"


def _components(station, profile, files, video, tmp_path):
    campaigns.add(station, profile, profile)
    share = tree(tmp_path / "share", {f"春晓/{name}": video if name.endswith(".mp4") else PDF for name in files})
    ingest.run(station, [str(share)], profile)
    checks.run(station, campaign=profile)
    (row,) = [r for r in queries.submissions(station.db()) if r["campaign"] == profile]
    return [(f["status"], f["message"]) for f in row["findings"] if f["rule"] == "package.components"]


@pytest.mark.req("001-01", "001-02", "002-01")
@pytest.mark.parametrize("profile", ["jpk-subject", "jpk-subject-jiangsu"])
def test_subject_course_needs_all_five_parts(station, video, tmp_path, profile):
    assert [s for s, _ in _components(station, profile, SUBJECT, video, tmp_path)] == ["pass"]


@pytest.mark.req("001-02", "002-01")
@pytest.mark.parametrize("profile", ["jpk-subject", "jpk-subject-jiangsu"])
def test_subject_course_without_homework_fails_naming_it(station, video, tmp_path, profile):
    ((status, message),) = _components(station, profile, SUBJECT[:-1], video, tmp_path)
    assert status == "fail" and "作业练习" in message


@pytest.mark.req("001-01", "001-03", "002-01")
@pytest.mark.parametrize("profile", ["jpk-special", "jpk-special-jiangsu"])
def test_special_education_may_leave_out_homework(station, video, tmp_path, profile):
    assert [s for s, _ in _components(station, profile, SUBJECT[:-1], video, tmp_path)] == ["pass"]


@pytest.mark.req("001-01", "001-04", "002-01")
@pytest.mark.parametrize("profile", ["jpk-experiment", "jpk-experiment-jiangsu"])
def test_experiment_course_parts(station, video, tmp_path, profile):
    assert [s for s, _ in _components(station, profile, EXPERIMENT, video, tmp_path)] == ["pass"]


@pytest.mark.req("001-04")
def test_experiment_course_without_guide_fails_naming_it(station, video, tmp_path):
    ((status, message),) = _components(station, "jpk-experiment", EXPERIMENT[:2] + EXPERIMENT[3:], video, tmp_path)
    assert status == "fail" and "导学案" in message
