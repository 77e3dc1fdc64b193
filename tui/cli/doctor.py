"""`station doctor`: the health report. Exit 0 healthy, 1 warnings, 2 problems."""

from __future__ import annotations

from pathlib import Path

from tui import strings as S
from tui.cli.kit import command, echo
from tui.graphics import Probe
from workflows import doctor
from workflows.station import Station, default_db


@command(None, "doctor", examples=["station doctor", "station doctor --json"])
def doctor_cmd(run):
    """体检：检查工作站和这台电脑是否可以正常工作（退出码 0 正常，1 有警告，2 有问题）。"""
    # Station(...) without open(): the doctor looks, it never creates or migrates a station.
    station = Station(Path(run.db or default_db()).resolve())
    found = Probe().start().finish()  # at most 0.3 s, only when stdin and stdout are a terminal
    pictures = S.GRAPHICS_FACT.format(mode=S.GRAPHICS_MODES[found.mode], why=S.GRAPHICS_WHY[found.why])
    items = doctor.run(station, pictures=pictures)
    data = {"status": doctor.overall(items), "station": str(station.db_path), "items": [i.as_dict() for i in items]}
    run.emit(data, _human)
    return doctor.exit_code(items)


def _human(data: dict) -> None:
    echo(f"评审工作站体检（{data['station']}）")
    for item in data["items"]:
        echo(f"[{doctor.LEVEL_ZH[item['level']]}] {item['title']}：{item['detail']}")
        if item["level"] != "ok" and item["fix"]:
            echo(f"       处理办法：{item['fix']}")
    counts = {level: sum(1 for i in data["items"] if i["level"] == level) for level in doctor.LEVELS}
    verdict = {"ok": "一切正常", "warn": "可以使用，但请处理警告", "problem": "有问题，请先处理"}[data["status"]]
    echo(f"结论：{verdict}（正常 {counts['ok']} 项，警告 {counts['warn']} 项，问题 {counts['problem']} 项）")


COMMANDS = [doctor_cmd]
