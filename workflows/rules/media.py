"""Rules on media files: container, streams, video, audio, sync, black/frozen, title card and its text."""

from __future__ import annotations

import math
from pathlib import PurePosixPath

from workflows.rules import stages, textmatch
from workflows.rules.base import Result, rule

VIDEO = ("video",)


def _v(f):
    return f.m["video"][0] if f.m and f.m["video"] else None


def _a(f):
    return f.m["audio"][0] if f.m and f.m["audio"] else None


def _mbps(bps):
    return f"{bps / 1e6:.2f} Mbps" if bps >= 1e6 else f"{bps / 1e3:.0f} kbps"


def _hms(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _audio_level(f):
    """The A-tier data, from the audio pass or the deep pass."""
    if f.a:
        return f.a
    return f.v.get("audio") if f.v else None


# --- container and integrity ---------------------------------------------------------------


@rule("file.container", params={"formats": list}, mechanical=True)
def container(f, p, w):
    """MediaInfo calls a QuickTime .mov "MPEG-4" too: MP4 also needs an MP4 brand and the .mp4 name (W13)."""
    general = f.m["general"]
    fmt = general.get("format")
    want = p.get("formats", ["MPEG-4"] if f.kind == "video" else ["MPEG Audio"])
    suffix = PurePosixPath(f.path).suffix.lower()
    shown = fmt or "无法识别"
    ok = fmt in want
    why = ""
    if ok and fmt == "MPEG-4":
        if general.get("format_profile") == "QuickTime" or (general.get("brand") or "").startswith("qt"):
            ok, shown, why = False, "QuickTime（.mov）", "，QuickTime 格式不是 MP4"
        elif suffix != ".mp4":
            ok, shown, why = False, f"MPEG-4（扩展名 {suffix or '无'}）", "，MP4 文件的扩展名应为 .mp4"
    elif ok and fmt == "MPEG Audio" and suffix != ".mp3":
        ok, shown, why = False, f"MPEG Audio（扩展名 {suffix or '无'}）", "，MP3 文件的扩展名应为 .mp3"
    names = {"MPEG-4": "MP4（MPEG-4）", "MPEG Audio": "MP3（MPEG Audio）"}
    return Result(
        "pass" if ok else "fail",
        shown,
        "、".join(names.get(x, x) for x in want),
        f"封装格式为 {shown}{why}，要求 {'或'.join(names.get(x, x) for x in want)}",
    )


@rule("file.size", params={"max_bytes": int})
def size(f, p, w):
    limit = p.get("max_bytes")
    if not limit:
        return None
    n = f.size
    unit = "GiB" if limit >= 2**30 else "MiB"
    scale = 2**30 if unit == "GiB" else 2**20
    ok = n <= limit
    detail = f"文件大小 {n / scale:.2f} {unit}（{n} 字节），要求不超过 {limit / scale:g} {unit}（{limit} 字节）"
    if not ok:
        detail += _size_conflict(f, w, limit)
    return Result("pass" if ok else "fail", f"{n / scale:.2f} {unit}", f"≤ {limit / scale:g} {unit}", detail)


def _nominal_rates(w) -> tuple[int, int] | None:
    """(video, audio) bit rates the profile requires as a nominal value, or None."""
    rules = w.profile.data.get("rules", {})
    video = rules.get("video.bitrate", {}).get("nominal_bps")
    if not video:
        return None
    return video, rules.get("audio.bitrate", {}).get("bps", 128_000)


def size_limit(w) -> int | None:
    return w.profile.data.get("rules", {}).get("file.size", {}).get("max_bytes")


def fitting_video_bps(duration: float, limit: int, audio_bps: int) -> int:
    """The video bit rate that keeps a file of DURATION within LIMIT bytes (2 % container margin)."""
    return int((limit * 8 * 0.98 / duration - audio_bps) // 1000 * 1000)


def _size_conflict(f, w, limit) -> str:
    """The notice's size limit and nominal bit rate cannot both hold for long lessons (000: 1G vs 8Mbps, W2)."""
    rates, d = _nominal_rates(w), f.m["general"].get("duration")
    if not rates or not d:
        return ""
    video, audio = rates
    longest = limit * 8 / (video + audio)
    if d <= longest:
        return "；按通知规定的码率，本视频本不应超过大小上限，请按码率要求重新导出"
    fit = fitting_video_bps(d, limit, audio)
    return (
        f"。通知同时规定码率 {_mbps(video)}、音频 {_mbps(audio)}，按此码率超过 {_hms(longest)} 的视频必然超过大小上限，"
        f"两项要求不能同时满足（通知自相矛盾）。县里的做法：按“超时课程资源可分课时实施”分为多个课时视频分别提交；"
        f"或以不超过大小上限为准，把视频码率降到约 {_mbps(fit)}（本视频时长 {_hms(d)}）后重新导出，"
        f"此时码率低于 {_mbps(video)} 只作提示。以省里对该矛盾的答复为准"
    )


@rule("file.integrity")
def integrity(f, p, w):
    problems = []
    if not f.m["video"] and not f.m["audio"]:
        actual = {"text": "文本", "other": "无法识别的数据", "pdf": "PDF 文档", "jpg": "图片"}.get(f.kind, f.kind)
        problems.append("文件为空" if f.size == 0 else f"内容不是音视频（实为{actual}）")
    elif f.m["general"].get("truncated"):
        problems.append("文件不完整（被截断）")
    if f.p and f.p.get("timed_out"):
        problems.append("读取超时（文件异常或本机繁忙，重新检查时会再读一次）")
    if f.p and f.p.get("errors") and not problems:
        problems.append(f"读取时出错：{f.p['errors'][0]}")
    decoded = f.v or f.a
    if decoded and decoded.get("error_count"):
        problems.append(f"解码错误 {decoded['error_count']} 处：{decoded['errors'][0]}")
    short = _declared_vs_real(f)
    if short and not problems:
        problems.append(short)
    if problems:
        return Result("fail", "；".join(problems), "完整、可解码", "；".join(problems) + "，要求文件完整、可正常播放")
    measured = "解码 0 错误" if decoded else "结构完整"
    return Result("pass", measured, "完整、可解码", f"文件{measured}")


def _declared_vs_real(f) -> str:
    """A file whose header claims more than its streams hold (a 6 s clip declaring 20 minutes)."""
    declared = f.m["general"].get("duration")
    if not declared:
        return ""
    decoded = (f.v or f.a or {}).get("decoded_seconds")
    if decoded is not None:
        real, how = decoded, "实际解码"
    else:
        lengths = [s["duration"] for s in (f.p or {}).get("streams", []) if s.get("duration")]
        if not lengths:
            return ""
        real, how = max(lengths), "音视频流实际"
    if declared - real > max(2.0, 0.02 * declared):
        return f"文件头声明时长 {_hms(declared)}，{how}只有 {_hms(real)}（文件不完整或时长信息被改写）"
    return ""


@rule("file.streams", params={"video": int, "audio_min": int})
def streams(f, p, w):
    nv, na = len(f.m["video"]), len(f.m["audio"])
    want_v = p.get("video", 1 if f.kind == "video" else 0)
    want_a = p.get("audio_min", 1)
    ok = nv == want_v and na >= want_a
    return Result(
        "pass" if ok else "fail",
        f"视频轨 {nv}，音频轨 {na}",
        f"视频轨 {want_v}，音频轨 ≥ {want_a}",
        f"包含视频轨 {nv} 条、音频轨 {na} 条，要求视频轨 {want_v} 条、音频轨至少 {want_a} 条",
    )


# --- duration -------------------------------------------------------------------------------


@rule(
    "media.duration", params={"min_minutes": float, "max_minutes": float, "by_stage": dict, "total_max_minutes": float}
)
def duration(f, p, w):
    d = f.m["general"].get("duration")
    if d is None:
        return None
    lo, hi = p.get("min_minutes"), p.get("max_minutes")
    by_stage = p.get("by_stage", {})
    written = w.submission.get("stage") or ""
    # 小学/初中/高中 (中学) first; then the 学段's own key (特殊教育, 学前…) for a profile with a row for it
    stage = next((k for k in [*w.stage_keys(), *stages.keys(written)] if k in by_stage), None)
    if stage:
        lo, hi = by_stage[stage]
    results = []
    if lo is not None or hi is not None or by_stage:
        ok = (lo is None or d >= lo * 60) and (hi is None or d <= hi * 60)
        want = (
            f"{lo:g}-{hi:g} 分钟"
            if lo is not None and hi is not None
            else (f"≥ {lo:g} 分钟" if lo is not None else f"≤ {hi:g} 分钟" if hi is not None else "")
        )
        where = f"（{stage}）" if stage else ""
        if by_stage and not stage:
            # No 学段 known: never widen silently to the union of the stages' ranges (W12).
            ranges = "，".join(f"{k} {a:g}-{b:g} 分钟" for k, (a, b) in by_stage.items())
            why = (
                f"学段“{written}”在本活动的时长要求中没有对应项"
                if written
                else "作品未注明学段（登记表或文件夹中没有小学/初中/高中）"
            )
            results.append(
                Result(
                    "warn",
                    _hms(d),
                    f"按学段：{ranges}",
                    f"时长 {_hms(d)}；{why}，无法确定时长要求（{ranges}），请核对学段后重新检查",
                )
            )
        else:
            results.append(Result("pass" if ok else "fail", _hms(d), want, f"时长 {_hms(d)}，要求{where} {want}"))
    total_max = p.get("total_max_minutes")
    if total_max is not None and f.is_last_media:
        total = w.total_duration()
        ok = total <= total_max * 60
        results.append(
            Result(
                "pass" if ok else "fail",
                f"合计 {_hms(total)}",
                f"合计 ≤ {total_max:g} 分钟",
                f"作品内全部录像合计 {_hms(total)}，要求总计不超过 {total_max:g} 分钟",
                extra={"whole_work": True},
            )
        )
    return results


# --- video ----------------------------------------------------------------------------------


@rule("video.codec", params={"codecs": list}, media=VIDEO, mechanical=True)
def video_codec(f, p, w):
    v = _v(f)
    if not v:
        return None
    want = p.get("codecs", ["AVC"])
    name = {"AVC": "H.264/AVC", "HEVC": "H.265/HEVC"}
    shown = name.get(v["codec"], v["codec"] or "未知")
    measured = shown + (f"（{v['profile']}）" if v.get("profile") else "")
    return Result(
        "pass" if v["codec"] in want else "fail",
        measured,
        "、".join(name.get(c, c) for c in want),
        f"视频编码 {measured}，要求 {'或'.join(name.get(c, c) for c in want)}",
    )


@rule(
    "video.resolution",
    params={"width": int, "height": int, "min_width": int, "min_height": int},
    media=VIDEO,
    mechanical=True,
)
def resolution(f, p, w):
    v = _v(f)
    if not v or not v["width"]:
        return None
    width, height, rot = int(v["width"]), int(v["height"]), int(v["rotation"] or 0) % 360
    measured = f"{width}x{height}" + (f"（旋转 {rot} 度）" if rot else "") + _anamorphic(v)
    if rot in (90, 270):
        return Result("fail", measured, "横屏", f"视频分辨率 {measured}，画面为竖屏（旋转 {rot} 度），要求横屏")
    if "width" in p:
        want = f"{p['width']}x{p['height']}"
        ok = (width, height) == (p["width"], p["height"])
        return Result("pass" if ok else "fail", measured, want, f"视频分辨率 {measured}，要求 {want}")
    want = f"≥ {p.get('min_width', 1280)}x{p.get('min_height', 720)}"
    ok = width >= p.get("min_width", 1280) and height >= p.get("min_height", 720)
    return Result("pass" if ok else "fail", measured, want, f"视频分辨率 {measured}，要求不低于 {want[2:]}")


def _anamorphic(v) -> str:
    par = v.get("par")
    if par is None or abs(par - 1) <= 0.001 or not v.get("width"):
        return ""
    return f"（像素宽高比 {par:.3f}，非方形像素，显示为 {round(v['width'] * par)}x{int(v['height'])}）"


@rule("video.aspect", params={"ratio": str, "tolerance": float, "square_pixels": bool}, media=VIDEO, mechanical=True)
def aspect(f, p, w):
    v = _v(f)
    if not v or not v["dar"]:
        return None
    num, den = (int(x) for x in p.get("ratio", "16:9").split(":"))
    tol = p.get("tolerance", 0.01)
    dar_ok = abs(v["dar"] - num / den) <= tol
    square = v["par"] is None or abs(v["par"] - 1) <= 0.001
    want = f"{num}:{den}（{num / den:.3f}）"
    if dar_ok and not square and p.get("square_pixels", True) and _resolution_fails(f, w):
        # An anamorphic file (1440x1080 shown as 16:9) is one problem: video.resolution reports it (W19).
        return Result(
            "pass",
            f"{v['dar']:.3f}（像素非方形，见分辨率检查）",
            want,
            f"画面显示宽高比 {v['dar']:.3f} 符合 {num}:{den}；像素非方形的问题已在分辨率检查中报告",
        )
    ok = dar_ok and (square or not p.get("square_pixels", True))
    measured = f"{v['dar']:.3f}" + ("" if square else f"（像素宽高比 {v['par']:.3f}）")
    return Result(
        "pass" if ok else "fail",
        measured,
        want,
        f"画面宽高比 {measured}，要求 {num}:{den}" + ("，方形像素" if p.get("square_pixels", True) else ""),
    )


def _resolution_fails(f, w) -> bool:
    params = w.profile.data.get("rules", {}).get("video.resolution")
    if params is None or params.get("enabled") is False:
        return False
    if "projects" in params and (w.submission["project"] or "") not in params["projects"]:
        return False
    r = resolution(f, params, w)
    return r is not None and r.status == "fail"


@rule(
    "video.fps", params={"fps": float, "tolerance": float, "cfr": bool, "min_fps": float}, media=VIDEO, mechanical=True
)
def fps(f, p, w):
    v = _v(f)
    if not v or v["fps"] is None:
        return None
    mode = v.get("fps_mode") or "CFR"
    measured = f"{v['fps']:g} fps" + ("（可变帧率）" if mode == "VFR" else "")
    if "min_fps" in p:
        ok = v["fps"] >= p["min_fps"] - 0.01
        want = f"≥ {p['min_fps']:g} fps"
    else:
        target, tol = p.get("fps", 25), p.get("tolerance", 0.01)
        ok = abs(v["fps"] - target) <= tol
        want = f"{target:g} fps"
    if p.get("cfr", "min_fps" not in p) and mode == "VFR":
        ok = False
        want += " 恒定帧率"
    return Result("pass" if ok else "fail", measured, want, f"视频帧率 {measured}，要求 {want}")


@rule("video.scan", params={}, media=VIDEO, mechanical=True)
def scan(f, p, w):
    v = _v(f)
    if not v:
        return None
    scan_type = v.get("scan")
    if scan_type:
        ok = scan_type == "Progressive"
        zh = {"Progressive": "逐行", "Interlaced": "隔行", "MBAFF": "隔行（MBAFF）", "PAFF": "隔行（PAFF）"}
        shown = zh.get(scan_type, scan_type)
        return Result("pass" if ok else "fail", shown, "逐行扫描", f"扫描方式为{shown}，要求逐行扫描")
    idet = f.v and f.v["video"].get("idet")
    if not idet:
        return Result("skip", "元数据未标明", "逐行扫描", "元数据未标明扫描方式，需深度检查（--deep）判断")
    interlaced = (idet["tff"] or 0) + (idet["bff"] or 0)
    ok = interlaced <= 0.1 * max(1.0, interlaced + (idet["progressive"] or 0))
    shown = "逐行" if ok else "隔行"
    return Result(
        "pass" if ok else "fail", f"{shown}（前 15 秒逐帧检测）", "逐行扫描", f"逐帧检测前 15 秒为{shown}，要求逐行扫描"
    )


@rule(
    "video.bitrate",
    needs=("M", "P"),
    params={"nominal_bps": int, "ratio": float, "min_bps": int, "measure": str},
    media=VIDEO,
    mechanical=True,
)
def video_bitrate(f, p, w):
    """measure = "video" (the video stream's packets) or "file" (平均码率: the whole file's bits / duration, W15)."""
    if p.get("measure", "video") == "file":
        d = f.m["general"].get("duration")
        measured = f.size * 8 / d if d and f.size else None
        what = "文件平均码率（含音频）"
    else:
        stream = f.stream("video")
        measured = stream and stream.get("bitrate")
        what = "视频码率实测"
    if not measured:
        return None
    if "nominal_bps" in p:
        floor = p["nominal_bps"] * p.get("ratio", 0.9)
        want = f"{_mbps(p['nominal_bps'])}（不低于 {_mbps(floor)}）"
    else:
        floor = p.get("min_bps", 2_000_000)
        want = f"≥ {_mbps(floor)}"
    ok = measured >= floor
    detail = f"{what} {_mbps(measured)}，要求 {want}"
    if not ok and "nominal_bps" in p:
        limit, d = size_limit(w), f.m["general"].get("duration")
        rates = _nominal_rates(w)
        if limit and d and rates and d > limit * 8 / sum(rates) and f.size <= limit:
            fit = fitting_video_bps(d, limit, rates[1])
            if measured >= 0.9 * fit:
                return Result(
                    "warn",
                    _mbps(measured),
                    want,
                    f"{detail}。本视频时长 {_hms(d)}，按 {_mbps(p['nominal_bps'])} 必然超过大小上限"
                    f"（通知的码率与大小要求在此时长下相互矛盾）；视频已按大小上限可容纳的码率（约 {_mbps(fit)}）导出，"
                    f"县里按不超过大小上限为准，码率只作提示，以省里答复为准",
                )
    return Result("pass" if ok else "fail", _mbps(measured), want, detail)


# --- playback in a browser (003 附件3 4) ------------------------------------------------------

BROWSER_PROFILES = ("High", "Main", "Baseline", "Constrained Baseline")


PLAYBACK_CHECKS = ("codec", "profile", "depth", "chroma", "audio", "faststart")


@rule("video.playback", params={"faststart": str, "checks": list}, media=VIDEO, mechanical=True)
def playback(f, p, w):
    """What "主流浏览器在线播放" means for an MP4 (W14): H.264 High/Main/Baseline 8-bit 4:2:0 with AAC audio.

    moov after mdat still plays once the browser has fetched the end of the file: by default a warn
    (faststart = "warn"), or "fail" where a county requires progressive playback.

    CHECKS picks what is judged (default all of PLAYBACK_CHECKS): a profile whose video.codec and audio.codec
    already require H.264 and AAC judges only what those let through ("profile", "depth", "chroma": a High 10
    or 4:4:4 file is H.264 yet plays in no browser), so one problem is not reported twice.
    """
    v, a = _v(f), _a(f)
    if not v:
        return None
    checks = set(p.get("checks") or PLAYBACK_CHECKS)
    problems = []
    profile = (v.get("profile") or "").split("@")[0]
    if v.get("codec") != "AVC":
        if "codec" in checks:
            problems.append(f"视频编码为 {v.get('codec') or '未知'}（浏览器普遍支持的是 H.264）")
    elif profile and profile not in BROWSER_PROFILES and "profile" in checks:
        problems.append(f"H.264 档次为 {profile}（浏览器只支持 High/Main/Baseline）")
    if v.get("bit_depth") and int(v["bit_depth"]) != 8 and "depth" in checks:
        problems.append(f"色深 {int(v['bit_depth'])} 位（浏览器只支持 8 位）")
    if v.get("chroma") and v["chroma"] != "4:2:0" and "chroma" in checks:
        problems.append(f"色度采样 {v['chroma']}（浏览器只支持 4:2:0）")
    if a and a.get("codec") != "AAC" and "audio" in checks:
        problems.append(f"音频编码为 {a.get('codec') or '未知'}（要求 AAC）")
    want = "H.264 High/Main/Baseline、8 位、4:2:0" + (
        "，AAC 音频，moov 在文件开头" if {"audio", "faststart"} <= checks else ""
    )
    shown = f"H.264 {profile or '?'}、{int(v.get('bit_depth') or 8)} 位、{v.get('chroma') or '?'}"
    if problems:
        return Result(
            "fail",
            "；".join(problems),
            want,
            "；".join(problems) + "，主流浏览器和多数平台播放器无法在线播放，重新编码为 H.264 High 8 位 4:2:0 即可",
        )
    if v.get("codec") != "AVC":
        return None  # not judged here: video.codec reports it
    if f.m["general"].get("streamable") is False and "faststart" in checks:
        status = "fail" if p.get("faststart") == "fail" else "warn"
        return Result(
            status,
            f"{shown}；moov 在文件末尾",
            want,
            f"{shown}可在浏览器播放，但索引（moov）在文件末尾，需下载到文件末尾才能开始播放；"
            f"用 -movflags +faststart 重新封装即可",
        )
    where = "，索引在文件开头" if "faststart" in checks else ""
    return Result("pass", shown, want, f"{shown}{where}，主流浏览器可在线播放")


# --- 资源类型 matches the media (003 附件4 表2) ------------------------------------------------

TYPE_CODES = {"A01": ("video", "视频资源"), "A02": ("audio", "音频资源"), "A03": (None, "网络课程")}


@rule("media.type", scope="work", needs=(), params={"field": str})
def media_type(w, p):
    """The metadata sheet's 资源类型 code names the kind of media the work carries (W16)."""
    sheet = w.metadata_sheet()
    if not sheet:
        return None
    label = p.get("field", "资源类型")
    raw = str(sheet.get(label) or "").strip()
    code = next((c for c in TYPE_CODES if c in raw.upper()), None)
    if not code:
        return None  # missing or unknown codes are meta.required / meta.format findings
    kinds = {f.media_class for f in w.media if f.kind in ("video", "audio")}
    found = "、".join(sorted({"video": "视频", "audio": "音频"}[k] for k in kinds)) or "无音视频文件"
    want_kind, name = TYPE_CODES[code]
    if want_kind is None:
        return Result(
            "fail" if kinds else "warn",
            f"{code}（{name}），提交的是{found}",
            "资源类型与提交的文件一致",
            f"资源类型填写 {code}（{name}），"
            + (
                f"但提交的是{found}文件，应填 A01（视频）或 A02（音频）"
                if kinds
                else "网络课程须以链接方式提供，请人工核对"
            ),
        )
    ok = kinds == {want_kind}
    other = "A02（音频资源）" if want_kind == "video" else "A01（视频资源）"
    return Result(
        "pass" if ok else "fail",
        f"{code}（{name}），提交的是{found}",
        f"{code} 对应{name}",
        f"资源类型填写 {code}（{name}），提交的是{found}文件"
        + ("" if ok else f"，两者不一致（{found}资源应填 {other if kinds else code}）"),
    )


# --- audio ----------------------------------------------------------------------------------


@rule("audio.codec", params={"codecs": list}, mechanical=True)
def audio_codec(f, p, w):
    a = _a(f)
    if not a:
        return None
    want = p.get("codecs", ["AAC"] if f.kind == "video" else ["MPEG Audio"])
    codec = a["codec"] or "未知"
    shown = codec + (f" {a['feature']}" if a.get("feature") else "") + (f" {a['profile']}" if a.get("profile") else "")
    return Result(
        "pass" if codec in want else "fail", shown, "、".join(want), f"音频编码 {shown}，要求 {'或'.join(want)}"
    )


@rule("audio.samplerate", params={"rate": int, "min_rate": int}, mechanical=True)
def samplerate(f, p, w):
    a = _a(f)
    if not a or not a["rate"]:
        return None
    rate = int(a["rate"])
    if "rate" in p:
        ok, want = rate == p["rate"], f"{p['rate'] / 1000:g} kHz"
    else:
        ok, want = rate >= p.get("min_rate", 44100), f"≥ {p.get('min_rate', 44100) / 1000:g} kHz"
    return Result(
        "pass" if ok else "fail", f"{rate / 1000:g} kHz", want, f"音频采样率 {rate / 1000:g} kHz，要求 {want}"
    )


@rule("audio.channels", params={"channels": int, "dead_db": float}, mechanical=True)
def channels(f, p, w):
    a = _a(f)
    if not a or not a["channels"]:
        return None
    n, want = int(a["channels"]), p.get("channels", 2)
    if n != want:
        return Result("fail", f"{n} 声道", f"{want} 声道", f"音频为 {n} 声道，要求 {want} 声道（立体声）")
    level = _audio_level(f)
    seconds = level and level.get("seconds")
    if seconds and n == 2 and len(seconds[0]) == 3:
        left = _power_mean([s[1] for s in seconds])
        right = _power_mean([s[2] for s in seconds])
        gap = abs(left - right)
        if gap >= p.get("dead_db", 30):
            quiet = "左" if left < right else "右"
            return Result(
                "warn",
                f"2 声道，{quiet}声道低 {gap:.0f} dB",
                "两个声道都有声音",
                f"{quiet}声道比另一声道低 {gap:.0f} dB，可能是单声道录音接成了立体声",
            )
    return Result("pass", f"{n} 声道", f"{want} 声道", f"音频为 {n} 声道")


def _power_mean(levels_db):
    powers = [10 ** (x / 10) for x in levels_db if x is not None and x > -200]
    return 10 * math.log10(sum(powers) / len(powers)) if powers else -200.0


@rule("audio.bitrate", params={"bps": int, "tolerance": float, "min_bps": int}, mechanical=True)
def audio_bitrate(f, p, w):
    a = _a(f)
    bps = a and a.get("bitrate")
    if not bps:
        stream = f.stream("audio")
        bps = stream and stream.get("bitrate")
    if not bps:
        return None
    if "bps" in p:
        tol = p.get("tolerance", 0.1)
        ok = abs(bps - p["bps"]) <= tol * p["bps"]
        want = f"{_mbps(p['bps'])} ± {tol:.0%}"
    else:
        ok, want = bps >= p.get("min_bps", 128000), f"≥ {_mbps(p.get('min_bps', 128000))}"
    return Result("pass" if ok else "fail", _mbps(bps), want, f"音频码率 {_mbps(bps)}，要求 {want}")


@rule("audio.bitdepth", params={"min_bits": int})
def bitdepth(f, p, w):
    a = _a(f)
    if not a:
        return None
    if a["codec"] not in ("PCM", "FLAC", "ALAC") or not a.get("bit_depth"):
        return Result(
            "skip",
            f"{a['codec']}（有损压缩，无位深）",
            f"≥ {p.get('min_bits', 16)} 位",
            f"{a['codec']} 为有损压缩格式，不适用量化位数要求",
        )
    bits = int(a["bit_depth"])
    want = p.get("min_bits", 16)
    return Result(
        "pass" if bits >= want else "fail", f"{bits} 位", f"≥ {want} 位", f"量化位数 {bits} 位，要求不低于 {want} 位"
    )


@rule("audio.loudness", needs=("M", "A"), params={"target": float, "tolerance": float, "max_true_peak": float})
def loudness(f, p, w):
    level = _audio_level(f)
    if not level or level.get("integrated") is None:
        return None
    i, tp = level["integrated"], level.get("true_peak")
    target, tol, max_tp = p.get("target", -23.0), p.get("tolerance", 2.0), p.get("max_true_peak", -1.0)
    ok = abs(i - target) <= tol and (tp is None or tp <= max_tp)
    measured = f"{i:.1f} LUFS" + (f"，真峰值 {tp:.1f} dBTP" if tp is not None else "")
    want = f"{target:g} ± {tol:g} LUFS，真峰值 ≤ {max_tp:g} dBTP"
    return Result("pass" if ok else "warn", measured, want, f"整体响度 {measured}，建议 {want}")


@rule(
    "audio.swings",
    needs=("M", "A"),
    params={"lra_warn": float, "lra_fail": float, "jump_lu": float, "jump_share": float},
)
def swings(f, p, w):
    level = _audio_level(f)
    if not level or level.get("lra") is None:
        return None
    lra = level["lra"]
    series = [s for s in level.get("short_term", []) if s > -70]
    jumps = sum(1 for a, b in zip(series, series[1:]) if abs(b - a) > p.get("jump_lu", 8))
    share = jumps / len(series) if series else 0.0
    measured = f"响度范围 {lra:.1f} LU，突变 {share:.0%}"
    want = f"响度范围 ≤ {p.get('lra_warn', 12):g} LU，突变 ≤ {p.get('jump_share', 0.05):.0%}"
    if lra > p.get("lra_fail", 18):
        status = "fail"
    elif lra > p.get("lra_warn", 12) or share > p.get("jump_share", 0.05):
        status = "warn"
    else:
        status = "pass"
    return Result(status, measured, want, f"音量忽大忽小：{measured}，要求 {want}")


@rule("audio.silence", needs=("M", "A"), params={"warn_s": float, "fail_s": float})
def silence(f, p, w):
    level = _audio_level(f)
    if not level:
        return None
    total = f.m["general"].get("duration") or 0
    gaps = [(s, (e if e is not None else total)) for s, e in level.get("silences", [])]
    longest = max(gaps, key=lambda g: g[1] - g[0], default=None)
    warn_s, fail_s = p.get("warn_s", 3.0), p.get("fail_s", 10.0)
    if not longest or longest[1] - longest[0] < warn_s:
        return Result("pass", "无长时间静音", f"静音 < {warn_s:g} 秒", "未发现长时间无声段落")
    length = longest[1] - longest[0]
    where = f"{_hms(longest[0])}-{_hms(longest[1])}"
    return Result(
        "fail" if length >= fail_s else "warn",
        f"静音 {length:.1f} 秒（{where}）",
        f"静音 < {warn_s:g} 秒",
        f"{where} 无声 {length:.1f} 秒，要求无 {warn_s:g} 秒以上的无声段落",
    )


@rule("audio.clipping", needs=("M", "A"), params={"peak_dbfs": float, "true_peak_dbtp": float})
def clipping(f, p, w):
    level = _audio_level(f)
    if not level or level.get("peak") is None:
        return None
    peak, tp, flat = level["peak"], level.get("true_peak"), level.get("flat") or 0
    clipped = (peak >= p.get("peak_dbfs", -0.1) and flat > 0) or (tp is not None and tp > p.get("true_peak_dbtp", 0.0))
    measured = f"峰值 {peak:.1f} dBFS" + (f"，真峰值 {tp:.1f} dBTP" if tp is not None else "")
    return Result(
        "warn" if clipped else "pass",
        measured,
        f"真峰值 ≤ {p.get('true_peak_dbtp', 0.0):g} dBTP，无削波",
        f"{measured}，" + ("存在削波失真" if clipped else "无削波"),
    )


@rule("audio.noise", needs=("M", "A"), params={"floor_dbfs": float})
def noise(f, p, w):
    """The quietest 50 ms of each second is the room between words: its median is the noise floor."""
    level = _audio_level(f)
    if not level or not level.get("troughs"):
        return None
    floors = sorted(
        x
        for x, s in zip(level["troughs"], level["seconds"])
        if x is not None and x > -120 and max(s[1:], default=-200) > -60
    )
    if not floors:
        return None
    floor = floors[len(floors) // 2]
    limit = p.get("floor_dbfs", -45.0)
    ok = floor <= limit
    return Result(
        "pass" if ok else "warn",
        f"底噪约 {floor:.0f} dBFS",
        f"≤ {limit:g} dBFS",
        f"讲话间隙的背景声约 {floor:.0f} dBFS" + ("" if ok else f"，高于 {limit:g} dBFS，可能有持续杂音，请人工试听"),
    )


# --- audio and video together ---------------------------------------------------------------


@rule("av.offset", needs=("M", "P"), params={"pass_ms": list, "warn_ms": list}, media=VIDEO)
def offset(f, p, w):
    v, a = f.stream("video"), f.stream("audio")
    if not v or not a or v.get("start") is None or a.get("start") is None:
        return None
    lead_ms = (v["start"] - a["start"]) * 1000  # > 0: sound before picture
    lo, hi = p.get("pass_ms", [-60, 40])
    wlo, whi = p.get("warn_ms", [-185, 90])
    status = "pass" if lo <= lead_ms <= hi else "warn" if wlo <= lead_ms <= whi else "fail"
    shown = f"声音{'超前' if lead_ms > 0 else '滞后'} {abs(lead_ms):.0f} ms"
    return Result(
        status, shown, f"{lo}…+{hi} ms", f"{shown}，要求声画同步（声音滞后不超过 {-lo} ms、超前不超过 {hi} ms）"
    )


@rule("av.duration", params={"short_ms": float, "long_ms": float}, media=VIDEO)
def av_duration(f, p, w):
    v, a = _v(f), _a(f)
    if not v or not a or v["duration"] is None or a["duration"] is None:
        return None
    diff_ms = (a["duration"] - v["duration"]) * 1000
    ok = -p.get("short_ms", 80) <= diff_ms <= p.get("long_ms", 2000)
    shown = f"音频比视频{'长' if diff_ms >= 0 else '短'} {abs(diff_ms) / 1000:.2f} 秒"
    return Result("pass" if ok else "fail", shown, "音视频等长", f"{shown}，要求声音与画面长度一致")


@rule("video.black", needs=("M", "V"), params={"warn_s": float, "fail_s": float, "title_s": float}, media=VIDEO)
def black(f, p, w):
    return _segments(f, p, "black", "黑屏", p.get("fail_s", 10.0))


@rule("video.freeze", needs=("M", "V"), params={"warn_s": float, "title_s": float}, media=VIDEO)
def freeze(f, p, w):
    return _segments(f, {"warn_s": 5.0, **p}, "freezes", "画面静止", None)


def _segments(f, p, key, label, fail_s):
    if not (f.v or {}).get("video"):
        return None  # no picture was decoded (an audio-only file): file.streams reports it
    total = f.m["general"].get("duration") or 0
    title_s = p.get("title_s", 5.0)
    spans = [(max(s, title_s if s < title_s else s), e if e is not None else total) for s, e in f.v["video"][key]]
    spans = [(s, e) for s, e in spans if e > s]
    longest = max(spans, key=lambda g: g[1] - g[0], default=None)
    warn_s = p.get("warn_s", 2.0)
    if not longest or longest[1] - longest[0] < warn_s:
        return Result("pass", f"无 ≥ {warn_s:g} 秒{label}", f"{label} < {warn_s:g} 秒", f"片头之外未发现{label}段落")
    length = longest[1] - longest[0]
    where = f"{_hms(longest[0])}-{_hms(longest[1])}"
    status = "fail" if fail_s is not None and length >= fail_s else "warn"
    return Result(
        status,
        f"{label} {length:.1f} 秒（{where}）",
        f"{label} < {warn_s:g} 秒",
        f"{where} {label} {length:.1f} 秒（片头之外），要求不超过 {warn_s:g} 秒",
    )


@rule("video.titlecard", needs=("M", "T"), params={"seconds": float}, media=VIDEO)
def titlecard(f, p, w):
    want = p.get("seconds", 5.0)
    t = f.t
    if not t or "freezes" not in t:
        return None
    still = next((e if e is not None else 12.0 for s, e in t["freezes"] if s <= 0.5), 0.0)
    cut = next((c for c in t["cuts"] if 3.5 <= c <= 8.0), None)
    thumb = "，已截取 2.5 秒处画面供人工核对片头文字" if t.get("thumbnail_sha") else ""
    if still >= want - 1 or cut is not None:
        shown = f"开头静止画面 {still:.1f} 秒" if still >= want - 1 else f"{cut:.1f} 秒处切换画面"
        return Result(
            "pass",
            shown,
            f"片头 {want:g} 秒",
            f"{shown}，符合片头 {want:g} 秒的要求（片头文字待人工核对{thumb}）",
            extra={"thumbnail": t.get("thumbnail_sha")},
        )
    return Result(
        "warn",
        "未检测到片头",
        f"片头 {want:g} 秒",
        f"开头未检测到约 {want:g} 秒的片头（静止画面或画面切换）{thumb}，请人工核对",
        extra={"thumbnail": t.get("thumbnail_sha")},
    )


TITLE_FIELDS = (("title", "课程名称"), ("unit", "单位"), ("teacher", "主讲教师姓名"))


def _title_fields(w) -> dict[str, str]:
    """The work's 课程名称, 单位 and 主讲教师 (the first author), as the form and folder names gave them."""
    sub = w.submission
    teacher = w.authors[0]["name"] if w.authors else ""
    unit = sub["school"] or (w.authors[0]["unit"] if w.authors else "") or ""
    return {"title": sub["title"] or "", "unit": unit, "teacher": teacher}


@rule("video.titlecard.text", needs=("M", "T", "O"), media=VIDEO)
def titlecard_text(f, p, w):
    """000 二（二）2: 片头文字信息包括课程名称、单位、主讲教师姓名 — read by OCR, matched with the work's fields."""
    o = f.o
    if o is None:
        return None
    if not o.get("card"):
        return Result(
            "skip",
            "未检测到片头",
            "片头含课程名称、单位、主讲教师姓名",
            "开头未检测到片头，未识别片头文字（见“片头信息”一项）",
        )
    if o.get("unavailable"):
        return Result(
            "warn",
            "文字识别不可用",
            "片头含课程名称、单位、主讲教师姓名",
            f"无法识别片头文字（文字识别引擎不可用：{o['unavailable'][:80]}；请运行 station doctor），请人工核对片头文字",
        )
    text = o.get("text") or ""
    seen = f"识别到：{text}" if text else "片头未识别到文字"
    if not text and (o.get("errors") or not o.get("frames")):
        seen += f"（{'；'.join(o.get('errors') or [])[:120] or '未能截取片头画面'}）"
    fields = _title_fields(w)
    missing = [(label, fields[k]) for k, label in TITLE_FIELDS if fields[k] and not textmatch.find(k, fields[k], text)]
    unknown = [label for k, label in TITLE_FIELDS if not fields[k]]
    expected = "片头含" + "、".join(f"{label}“{fields[k]}”" for k, label in TITLE_FIELDS if fields[k])
    if not missing and not unknown:
        return Result(
            "pass", seen, expected, f"片头文字包含课程名称、单位和主讲教师姓名（{seen}）", extra={"ocr": text}
        )
    parts = [f"片头未见{label}“{value}”" for label, value in missing]
    parts += [f"作品信息缺少{label}，无法核对" for label in unknown]
    return Result("warn", seen, expected, "；".join(parts) + f"，{seen}，请人工核对片头", extra={"ocr": text})
