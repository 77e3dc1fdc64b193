"""docs/requirements.md and the tests agree: every implemented requirement is pinned by a test carrying its id."""

import importlib.util

from conftest import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("requirements_doc", ROOT / "scripts" / "requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_implemented_requirement_has_a_test_and_every_decision_a_reason():
    doc = _script()
    assert doc.problems(doc.DOC.read_text("utf-8"), doc.markers()) == []


def test_the_checker_catches_an_untested_row_and_a_stale_tests_column():
    doc = _script()
    text = "| 000-99 | 一 | `rule` | implemented |  |  |\n| 000-98 | 二 | `r` | decided |  | `test_x.py::test_y` |\n"
    found = doc.problems(text, {})
    assert found == [
        "000-99: implemented, but no test carries @pytest.mark.req('000-99')",
        "000-98: decided without a reason in the note column",
        "000-98: the tests column is out of date (python scripts/requirements.py --sync)",
    ]
