"""Every string the TUI shows, in one place (Simplified Chinese).

Keep East-Asian ambiguous-width characters (curly quotes, dashes, ellipsis, middle dot, box drawing) out of the chrome:
SSH clients set to "ambiguous = wide" would break the layout.
"""

from store import labels

APP_TITLE = "评审工作站"
REVIEWER = "评审人：{name}"
READ_ONLY = "（只读）"
READ_ONLY_SHORT = "(只读)"
ANONYMOUS = "（匿名评审）"
ANONYMOUS_SHORT = "(匿名)"
RECUSED = "回避单位：{unit}"
RECUSED_TAG = "（回避单位：{unit}）"
RECUSED_SHORT = "(回避)"

SECTIONS = {
    "overview": "1 总览",
    "import": "2 导入",
    "checks": "3 检查",
    "queue": "4 评审",
    "quota": "5 名额",
    "export": "6 导出",
}

# queue columns
COL_ID = "编号"
COL_TITLE = "作品名称"
COL_STAGE = "学段"
COL_SUBJECT = "学科"
COL_SCHOOL = "学校"
COL_TEACHER = "教师"
COL_CHECK = "检查"
COL_DECISION = "决定"

DECISION = labels.DECISION_ZH
FINDING = labels.FINDING_ZH
CHECK_FAIL = "不通过{n}"
CHECK_WARN = "警告{n}"
CHECK_PASS = "通过"
CHECK_NONE = "未检"
STATUS = labels.SUBMISSION_ZH

POSITION = "第 {n}/{total} 条"
POSITION_EMPTY = "没有符合条件的作品"
MARKED = "已标记 {n}"
FILTER = "筛选：{desc}"
SORT = "排序：{name}"
COL_NOTE = "备注"
COL_SCORERS = "评分"
COL_DECIDER = "决定人"
COLUMNS_TITLE = "显示或隐藏的列（回车切换）"
COLUMN_SHOWN = "[显示] "
COLUMN_HIDDEN = "[隐藏] "
SORTS = {"id": "编号", "title": "名称", "school": "学校", "decision": "决定"}
QUICK = {"undecided": "未审", "failed": "检查不通过", "fix": "需修改", "marked": "已标记"}
FACET = {"stage": "学段", "subject": "学科", "school": "学校", "project": "项目", "campaign_id": "征集活动"}
FACET_EMPTY = "（空）"
FACET_MORE = "按{name}筛选"
ACTIVE = "[已选] "
SEARCH = "搜索「{text}」"
FILTER_PLACEHOLDER = "输入作品名称、教师或学校，回车确定，Esc 清除"

# key descriptions (footer, help, palette)
KEYS = {
    "app.quit": "退出",
    "app.help": "按键",
    "app.palette": "命令",
    "app.overview": "总览",
    "app.import": "导入",
    "app.checks": "检查",
    "app.queue": "评审",
    "app.quota": "名额",
    "app.export": "导出",
    "queue.down": "下一条",
    "queue.up": "上一条",
    "queue.top": "第一条",
    "queue.bottom": "最后一条",
    "queue.page_down": "下一页",
    "queue.page_up": "上一页",
    "queue.open": "详情",
    "queue.recommend": "推荐",
    "queue.reject": "不推荐",
    "queue.fix": "需修改",
    "queue.pending": "待定",
    "queue.undo": "撤销",
    "queue.note": "备注",
    "queue.mark": "标记",
    "queue.mark_all": "全部标记",
    "queue.search": "搜索",
    "queue.undecided": "只看未审",
    "queue.failed": "只看不通过",
    "queue.filter": "筛选",
    "queue.sort": "排序",
    "queue.clear": "清除筛选",
    "queue.score": "评分",
    "queue.columns": "显示的列",
    "detail.score": "评分",
    "overview.down": "下一项",
    "overview.up": "上一项",
    "overview.open": "查看这些作品",
    "score.save": "保存评分",
    "score.back": "返回",
    "detail.back": "返回",
    "detail.down": "向下",
    "detail.up": "向上",
    "detail.page_down": "下一页",
    "detail.page_up": "上一页",
    "detail.top": "开头",
    "detail.bottom": "末尾",
    "detail.next": "下一件",
    "detail.previous": "上一件",
    "detail.recommend": "推荐",
    "detail.reject": "不推荐",
    "detail.fix": "需修改",
    "detail.pending": "待定",
    "jobs.start": "开始",
    "jobs.cancel": "取消任务",
    "jobs.back": "返回",
    "jobs.campaign": "选择活动",
    "modal.yes": "是",
    "modal.no": "否",
    "modal.ok": "确定",
    "modal.cancel": "取消",
    "modal.override": "特批",
}

HELP_TITLE = "按键说明（{screen}）"
HELP_CLOSE = "上下键或 PgUp/PgDn 滚动，Esc 或 ? 关闭"
KEY_GROUP_SCREEN = "本屏幕"
KEY_GROUP_ORDER = ["移动", "评审决定", "筛选与搜索", "本屏幕", "切换页面", "全局"]
KEY_GROUPS = {
    **{k: "移动" for k in ("queue.down", "queue.up", "queue.top", "queue.bottom", "queue.page_down", "queue.page_up")},
    **{
        k: "移动"
        for k in (
            "detail.down",
            "detail.up",
            "detail.page_down",
            "detail.page_up",
            "detail.top",
            "detail.bottom",
            "detail.next",
            "detail.previous",
            "overview.down",
            "overview.up",
        )
    },
    **{
        k: "评审决定"
        for k in (
            "queue.recommend",
            "queue.reject",
            "queue.fix",
            "queue.pending",
            "queue.undo",
            "queue.note",
            "queue.mark",
            "queue.mark_all",
            "queue.score",
            "detail.recommend",
            "detail.reject",
            "detail.fix",
            "detail.pending",
            "detail.score",
        )
    },
    **{
        k: "筛选与搜索"
        for k in (
            "queue.search",
            "queue.undecided",
            "queue.failed",
            "queue.filter",
            "queue.sort",
            "queue.clear",
            "queue.columns",
        )
    },
    **{k: "切换页面" for k in ("app.overview", "app.import", "app.checks", "app.queue", "app.quota", "app.export")},
    **{k: "全局" for k in ("app.quit", "app.help", "app.palette")},
}
HELP_NO_KEYS = "本屏幕没有按键"

# modals
CONFIRM_BULK = "将已标记的 {n} 件作品设为「{decision}」？"
CONFIRM_HINT = "y 确定    n 或 Esc 取消"
REASON_TITLE = "需修改：请写明修改意见"
REASON_REQUIRED = "修改意见不能为空"
NOTE_TITLE = "作品 {id} 的备注（留空则删除）"
INPUT_HINT = "回车确定    Esc 取消"
ERROR_TITLE = "操作未完成"
ERROR_HINT = "按回车或 Esc 关闭"
ERROR_UNEXPECTED = "发生意外错误：{error}"
CONFLICT_TITLE = "他人已修改"
CONFLICT_STATE = "作品 {id} 当前：{decision}（{reviewer}，{at}）"
CHOOSE_HINT = "上下键选择，回车确定，Esc 取消"
CHOOSE_FILTER = "筛选"
REVIEWER_TITLE = "请输入评审人姓名"
QUIT_TITLE = "要退出吗？"
QUIT_HINT = "按 {key} 退出评审工作站"

# notifications
DECIDED = "作品 {id}：{decision}"
DECIDED_MANY = "{n} 件作品：{decision}"
UNDONE = "已撤销作品 {id} 的决定"
UNDONE_MANY = "已撤销 {n} 件作品的决定"
NOTHING_TO_UNDO = "没有可撤销的决定"
NOTE_SAVED = "备注已保存"
NOTE_REMOVED = "备注已删除"
NOTHING_SELECTED = "当前没有作品"
ALL_DECIDED = "后面没有未审的作品了"
MARKED_ALL = "已标记当前筛选的 {n} 件作品"
UNMARKED_ALL = "已取消全部标记"
REFRESHED = "其他评审人刚更新了 {n} 处"
KEYMAP_BAD = "按键配置 {path} 有误：{error}"
KEYMAP_UNKNOWN = "未知的按键编号 {id}"
KEYMAP_EMPTY = "{id} 的按键应为非空字符串"
KEYMAP_LOWERCASE = "{id} 不能使用小写字母键"

# detail
DETAIL_TITLE = "作品 {id}：{title}"
DETAIL_META = "基本信息"
DETAIL_AUTHORS = "作者"
DETAIL_FILES = "文件"
DETAIL_FINDINGS = "检查结果"
DETAIL_NOTE = "备注"
DETAIL_TITLECARD_TEXT = "片头文字（自动识别，供核对）"
DETAIL_HISTORY = "历史记录"
DETAIL_SOURCES = "各来源的值"
DETAIL_HIDDEN = "（匿名评审：已隐藏）"
REDACTED = "[已隐藏]"
COUNTY = "县"  # unit names often drop their county prefix: 中牟县实验小学 -> 实验小学
DETAIL_NONE = "无"
DETAIL_FIELDS = (
    ("campaign", "征集活动"),
    ("status", "状态"),
    ("version", "版本"),
    ("project", "项目"),
    ("stage", "学段"),
    ("subject", "学科"),
    ("grade", "年级"),
    ("school", "学校"),
    ("node_code", "课程节点编号"),
    ("original", "是否原创"),
    ("contact", "联系电话"),
    ("source", "来源"),
)
HIDDEN_FIELDS = {"school", "contact", "source"}
DETAIL_DECISION = "评审决定：{decision}"
DETAIL_DECIDED_BY = "（{reviewer}，{at}）"
DETAIL_REASON = "意见：{reason}"
DETAIL_MEASURED = "实测：{measured}"
DETAIL_EXPECTED = "要求：{expected}"
DETAIL_FIX = "建议修复：{fix}"
DETAIL_FILE = "文件：{file}"
DETAIL_SIZE = "{size}"
ORIGIN = {"form": "申报表", "folder": "文件夹"}
META_FIELDS = {
    "title": "作品名称",
    "project": "项目",
    "first_author": "第一作者",
    "teacher": "教师",
    "contact": "联系电话",
    "school": "学校",
    "stage": "学段",
    "subject": "学科",
    "grade": "年级",
    "original": "是否原创",
    "team": "团队成员",
    "node_code": "课程节点编号",
    "county": "县区",
}
META_PERSONAL = {"first_author", "teacher", "contact", "school", "team", "教学指导", "技术指导"}
HISTORY_ACTIONS = {
    "decision.made": "评审决定",
    "decision.undone": "撤销决定",
    "note.set": "修改备注",
    "submission.imported": "导入",
    "submission.received": "从上报包接收",
    "submission.rejected": "拒收",
    "submission.unknown": "未登记的作品",
    "score.set": "评分",
    "rule.override": "管理员特批",
    "quota.exception": "名额特批",
    "quota.exception_removed": "取消名额特批",
}
HISTORY_OTHER = "其他操作"
DETAIL_VERDICT = "检查结论"
DETAIL_VERDICT_LINE = "不通过 {fail} 项，警告 {warn} 项，通过 {pass_} 项"
DETAIL_PASSED = "通过 {n} 项：{names}"
DETAIL_FINDING_HEAD = "[{status}] {rule}"
DETAIL_FINDING_FILE = "（{file}）"
DETAIL_MEASURED_EXPECTED = "实测 {measured}，要求 {expected}"
DETAIL_FIX_FOR = "建议修复（{file}）："
DETAIL_FIX_WORK = "建议修复："
DETAIL_NEXT_HINT = "J 下一件  K 上一件  r x f p 决定  Esc 返回"
RULE_ZH = {
    "media.duration": "时长",
    "archive.corrupt": "压缩包损坏",
    "archive.encrypted": "压缩包加密",
    "archive.too_large": "压缩包过大",
    "archive.unsafe": "压缩包不安全",
    "layout.unrecognised": "目录结构无法识别",
    "meta.mismatch": "申报信息不一致",
    "meta.unreadable": "申报表无法读取",
    "archive.empty": "空压缩包或空文件夹",
    "import.failed": "导入失败",
    "source.link": "符号链接",
    "source.unreadable": "无法读取",
    "name.portable": "文件名不可移植",
    "layout.concatenated": "文件夹名未分隔",
    "eligibility.scope": "参评范围",
    "deadline.late": "逾期导入",
    "form.category": "资源类别",
    "form.filled": "申报表填写",
    "form.grade": "适用年级",
    "form.length": "字数",
    "form.original": "是否原创",
    "form.size": "作品大小",
    "form.video_count": "视频数量",
    "lesson.node_code": "课程节点编号",
    "lesson.roles": "授课与指导教师",
    "media.type": "资源类型",
    "package.size": "材料总大小",
    "project.group": "项目与组别",
    "video.playback": "浏览器播放",
    "audio.swings": "音量起伏",
    "audio.bitdepth": "音频位深",
    "audio.bitrate": "音频码率",
    "audio.channels": "声道",
    "audio.clipping": "音频削波",
    "audio.codec": "音频编码",
    "audio.loudness": "响度",
    "audio.noise": "底噪",
    "audio.samplerate": "采样率",
    "audio.silence": "静音",
    "authors.limit": "作者人数",
    "av.duration": "声画长度",
    "av.offset": "声画同步",
    "dup.awarded": "往年获奖作品",
    "dup.same_file": "一稿多投（相同文件）",
    "file.container": "封装格式",
    "file.integrity": "文件完整性",
    "file.size": "文件大小",
    "file.streams": "音视频轨",
    "meta.format": "申报信息格式",
    "meta.required": "申报信息必填项",
    "package.components": "材料齐全",
    "package.formats": "材料格式",
    "package.naming": "文件夹命名",
    "title.brackets": "作品名称书名号",
    "video.aspect": "画面比例",
    "video.black": "黑场",
    "video.bitrate": "视频码率",
    "video.codec": "视频编码",
    "video.fps": "帧率",
    "video.freeze": "画面静止",
    "video.resolution": "分辨率",
    "video.scan": "扫描方式",
    "video.titlecard": "片头信息",
    "video.titlecard.text": "片头文字",
}
HISTORY_CHANGE = "{old} -> {new}"

# overview
OVERVIEW_CAMPAIGNS = "征集活动"
OVERVIEW_HINT = "上下键选中活动、检查规则或名额，回车在评审列表中查看这些作品（Esc 返回总览）"
OVERVIEW_CAMPAIGN_LINE = "{name}（{profile_name}）：作品 {total} 件，已审 {decided}，推荐 {recommend}，不推荐 {reject}，需修改 {fix}，待定 {pending}，未审 {undecided}"
OVERVIEW_FINDINGS = "检查问题（按规则）"
OVERVIEW_FINDING_LINE = "{rule}：不通过 {fail}，警告 {warn}，通过 {pass_}"
OVERVIEW_QUOTAS = "名额使用"
OVERVIEW_QUOTA_ENTRY = "{label}：已推荐 {used}/{max}，{state}"
OVERVIEW_DEADLINES = "时间节点"
OVERVIEW_NO_DEADLINES = "没有时间节点"
OVERVIEW_DEADLINE_LINE = "{at}  {name}{mark}：{state}"
DEADLINE_SUBMISSION = "（上报截止）"
DEADLINE_LEFT = "还剩 {n} 天"
DEADLINE_SOON = "还剩 {n} 天，即将截止"
DEADLINE_TODAY = "今天截止"
DEADLINE_PASSED = "已截止"
SCOPE_CAMPAIGN = "活动 {campaign}"
SCOPE_RULE = "检查规则 {rule}"
SCOPE_QUOTA = "名额 {campaign} {label}"
QUEUE_SCOPE = "{scope}（{n} 件，Esc 返回）"
OVERVIEW_NO_QUOTAS = "尚未设置名额"
OVERVIEW_JOBS = "最近任务"
OVERVIEW_NO_JOBS = "本次还没有运行任务"
OVERVIEW_DOCTOR = "环境检查"
DOCTOR_LEVEL = {"ok": "正常", "warn": "警告", "problem": "问题"}
DOCTOR_LINE = "[{level}] {title}：{detail}"
DOCTOR_FIX = "处理办法：{fix}"
DOCTOR_OK = "其余 {n} 项正常"
OVERVIEW_NONE = "无"

# jobs
JOB_KIND = {"import": "导入", "checks": "技术检查", "export": "导出"}
JOB_IMPORT_HELP = "按回车输入要导入的文件夹、压缩包或 ftp:// 地址（多个用空格分隔），再按回车开始；导入后自动做快速检查。Esc 离开输入框。"
JOB_CHECKS_HELP = "对所选征集活动的全部作品运行技术检查，按回车开始。"
JOB_EXPORT_HELP = "导出所选征集活动的推荐作品为签名加密的成果包：按回车依次填写接收单位、保存文件夹和口令，最后回车开始。Esc 离开输入框。"
JOB_SOURCE_PLACEHOLDER = "回车后输入，例如 /srv/ftp/课后服务2024"
JOB_RECIPIENT_PLACEHOLDER = "接收单位代码（已用 station keys trust 登记）"
JOB_OUT_PLACEHOLDER = "成果包保存到的文件夹"
JOB_PASSPHRASE_PLACEHOLDER = "本站密钥口令"
JOB_EXPORT_MISSING = "请填写接收单位代码和保存文件夹"
JOB_CAMPAIGN = "征集活动：{name}（F2 切换）"
JOB_CHOOSE_CAMPAIGN = "征集活动：开始时选择（F2 现在选择）"
JOB_CHOOSE_CAMPAIGN_LAST = "征集活动：开始时选择，上次为 {name}（F2 现在选择）"
JOB_LINE_CAMPAIGN = "[{name}]"
JOB_NO_CAMPAIGN = "还没有征集活动"
JOB_IDLE = "空闲"
JOB_PROGRESS_IMPORT = "导入进行中：第 {done}/{total} 个，{size_done}/{size_total}（{percent}%），剩余时间：{eta}"
JOB_PROGRESS_CHECKS = "{kind}进行中：已处理 {files} 个文件（{percent}%），剩余时间：{eta}"
JOB_PROGRESS_EXPORT = "导出进行中：文件 {done}/{total}，{size_done}/{size_total}（{percent}%），剩余时间：{eta}"
JOB_QUICK = "快速检查"
JOB_STARTED = "{kind}已开始"
JOB_DONE = "{kind}完成：{summary}"
JOB_CANCELLED = "{kind}已取消"
JOB_FAILED = "{kind}失败"
JOB_STOPPING = "正在停止{kind}..."
JOB_CANCEL_ASK = "停止正在进行的{kind}吗？"
JOB_NOTHING_TO_CANCEL = "没有正在进行的任务"
JOB_BUSY = "{kind}正在进行，同一时间只能运行一个任务（Ctrl+X 取消）"
JOB_NO_SOURCE = "请输入导入来源"
JOB_ETA_UNKNOWN = "估算中"
JOB_ETA_SECONDS = "不到 1 分钟"
JOB_ETA_MINUTES = "约 {m} 分钟"
JOB_ETA_HOURS = "约 {h} 小时 {m} 分钟"
JOB_IMPORT_SUMMARY = (
    "新作品 {submissions} 件（其中新版本 {versions} 件），拒收压缩包 {rejected} 个，未变化 {unchanged} 项"
)
JOB_QUICK_SUMMARY = "；快速检查：不通过 {fail} 项，警告 {warn} 项"
JOB_QUICK_SKIPPED = "；快速检查未完成"
JOB_CHECKS_SUMMARY = "作品 {n} 件，不通过 {fail} 项，警告 {warn} 项"
JOB_EXPORT_SUMMARY = "{n} 件作品，文件 {files} 个，共 {size}，保存在 {path}"
JOB_LINE = "{at}  {kind}  {state}"
JOB_STATE = {"running": "进行中", "done": "完成", "cancelled": "已取消", "failed": "失败"}

# quota screen
QUOTA_TITLE = "名额"
QUOTA_LOADING = "正在计算名额使用情况"
QUOTA_CAMPAIGN = "{campaign}（已推荐 {n} 件）"
QUOTA_EXEMPT = "另有 {n} 件特批不占名额"
QUOTA_NO_COUNTY = "{n} 件作品无法确定所属县区，不计入按县区分配的名额（申报表填写县区，或设置本站所属县区：station quota county 县区名称）"
QUOTA_COL_LABEL = "名额"
QUOTA_COL_USED = "已推荐/上限"
QUOTA_COL_MIN = "最少"
QUOTA_COL_STATE = "情况"
QUOTA_USED = "{used} / {max}"
QUOTA_NONE = "-"
QUOTA_OVER = "超出 {n} 件"
QUOTA_MISSING = "还差 {n} 件"
QUOTA_OK = "正常"
QUOTA_RULES = "规则检查"
QUOTA_RULES_OK = "[正常] 没有违反规则"
QUOTA_VIOLATION_STATE = {"open": "[必须解决]", "overridden": "[已特批]", "soft": "[尚缺]"}
QUOTA_VIOLATION = "{rule}：{message}"
QUOTA_SUMMARY = (
    "{campaign}：名额 {entries} 项，超出 {over} 项，还差 {missing} 项；"
    "必须解决 {open} 条，已特批 {overridden} 条，尚缺 {soft} 条"
)

# scoring screen
SCORE_NAME = "评分"
SCORE_TITLE = "评分：作品 {id} {title}"
SCORE_LOADING = "正在读取评分细则"
SCORE_NO_RUBRIC = "征集活动「{campaign}」的项目配置没有评分细则，不能评分（按 Esc 返回）"
SCORE_RUBRIC = "评分细则：满分 {total}，汇总方法：{method}"
SCORE_GRADES = "可填分数，或等级 {grades}"
SCORE_ITEM = "{name}（0-{max}）"
SCORE_ITEM_IN = "{dimension} / {name}（0-{max}）"
SCORE_ITEM_WEIGHT = "  x{weight}"
SCORE_CURRENT = "当前汇总分：{score}（{n} 位专家评完，排名第 {rank}）"
SCORE_CURRENT_NONE = "当前汇总分：暂无（还没有专家评完全部项目）"
SCORE_LIST_SEP = "、"
SCORE_VETOED = "已有专家标记否决项：{items}"
SCORE_MINE = "{expert} 已评：总分 {total}"
SCORE_LIVE = "本次录入合计：{total} / {full}"
SCORE_LIVE_EMPTY = "，未填 {n} 项"
SCORE_LIVE_INVALID = "，{n} 项无效"
SCORE_MINE_PARTIAL = "{expert} 已评部分项目，尚未评完"
SCORE_RECUSED = "[须回避] {expert} 与本作品同属「{unit}」，不能评分"
SCORE_MINE_NONE = "{expert} 尚未评分"
SCORE_VETO_TITLE = "否决项（任一专家标记即不能推荐）"
SCORE_VETO_LINE = "{n}. {name}"
SCORE_VETO_DESC = "：{description}"
SCORE_VETO_LABEL = "标记否决项  "
SCORE_VETO_INPUT = "填编号，多个用空格分隔；留空为不标记"
SCORE_COMMENT = "评语  "
SCORE_HINT = "数字键填分，Tab / Shift+Tab 切换项目，Ctrl+S 保存，Esc 返回"
SCORE_SAVED = "已保存作品 {id} 的评分"
SCORE_SAVED_TOTAL = "已保存作品 {id} 的评分：总分 {total}"
SCORE_READ_ONLY = "只读账号不能评分"
SCORE_NO_EXPERT = "没有评审人姓名，不能评分"

# command palette
PALETTE_PLACEHOLDER = "搜索命令"
PALETTE_NO_MATCHES = "没有匹配的命令"
CMD_SECTION = "转到：{name}"
CMD_QUICK = "筛选：{name}"
CMD_QUICK_ON = "取消筛选：{name}"
CMD_SORT = "排序：按{name}"
CMD_CLEAR = "清除全部筛选"
CMD_HELP = "显示按键说明"
CMD_QUIT = "退出评审工作站"
CMD_THEME = "切换配色"
CMD_UNDO = "撤销上一个决定"
# The palette also matches the pinyin initials of a command's Chinese name (筛选：未审 -> sxws) and an English
# name. Initials of every character used in command names (tests/test_tui.py checks none is missing).
PINYIN_INITIALS = dict(
    zip(
        "转到总览导入检查评审名额出筛选未不通过需修改已标记取消排序按编号称学校决定清除全部显示键说明退工作站切换配色撤销上一个",
        "zdzldrjcpsmecsxwbtgxxgybjqxpxabhcxxjdqcqbxsjsmtgzzqhpscxsyg",
    )
)
CMD_ENGLISH = {
    "section.overview": "go overview",
    "section.import": "go import",
    "section.checks": "go checks",
    "section.queue": "go queue review",
    "section.quota": "go quota",
    "section.export": "go export",
    "quick.undecided": "filter undecided",
    "quick.failed": "filter failed",
    "quick.fix": "filter fix",
    "sort.id": "sort by id",
    "sort.title": "sort by title",
    "sort.school": "sort by school",
    "sort.decision": "sort by decision",
    "clear": "clear filters",
    "undo": "undo",
    "help": "help keys",
    "theme": "theme colours",
    "quit": "quit exit",
}
CMD_HELP_TEXT = {
    "section": "切换到该页面",
    "quick": "与其他筛选条件组合",
    "sort": "保持当前作品不变",
    "clear": "显示全部作品",
    "help": "本屏幕可用的按键",
    "quit": "退出程序",
    "theme": "在配色之间切换",
    "undo": "撤销本次会话中最近的决定",
}

# errors and quitting
ERROR_LOGGED = "\n详细信息已记入 {path}"
# Ctrl+C before the app owns the terminal (the same words as the command line's, tui.cli.main)
INTERRUPTED = "已中断（Ctrl+C），操作已取消"
FATAL = "评审工作站遇到内部错误，已退出：{error}。已保存的评审数据不受影响，请重新启动。"
QUIT_JOB_RUNNING = "{kind}正在进行。停止任务并退出吗？"
QUIT_STOPPING_TITLE = "正在退出"
QUIT_STOPPING = "正在停止{kind}，停止后自动退出..."

# refusals
READ_ONLY_REFUSED = "只读模式：不能修改评审决定、备注或标记"
REFUSED_TITLE = "不能推荐"
VETOED_TITLE = "不能推荐：有否决项"
REFUSED_RECOMMEND = "本次决定没有保存，光标仍在这件作品上。原因："
REFUSED_RULE = "{rule}：{message}"
RULE_NAMES = {"score.veto": "否决项"}
REFUSED_ARCHIVE = "作品 {ids} 的压缩包已拒收，拒收的作品不计入名额，不能推荐。"
ID_SEP = "、"
REFUSAL_HINT_OVERRIDE = "o 由管理员特批（需写明理由）    回车或 Esc 关闭"
OVERRIDE_TITLE = "特批理由（将记入审计日志）"
OVERRIDE_REQUIRED = "特批必须写明理由"
CONFIRM_FAILING_ONE = "作品 {id} 技术检查有 {n} 项不通过。仍要推荐吗？"
CONFIRM_FAILING_MANY = "要推荐的 {total} 件作品中有 {n} 件技术检查不通过。仍要全部推荐吗？"
ERROR_CODE = "错误代码：{code}"
CHECK_REFUSED = "拒收"

# detail view: storyboard, loudness chart and the system player (issue 16)
STORYBOARD_HEADING = "画面（深度检查时截取；左右方向键选帧）"
STORYBOARD_SELECTED = "第 {n}/{total} 帧  {time}  {file}"
STORYBOARD_EVERY = "  每 {every} 秒一帧"
STORYBOARD_TITLE_MARK = "片头"
LOUDNESS_HEADING = "响度（每秒短期响度，LUFS）"
LOUDNESS_LEGEND = "绿色带为目标 {target} 加减 {tolerance} LUFS；整体响度 {integrated} LUFS；浅色为同一时段的最大起伏"
LOUDNESS_NONE = "未测出"
LOUDNESS_GAP = "{start}-{end}（{seconds:.0f} 秒）"
LOUDNESS_SEP = "，"
LOUDNESS_MORE = " 等，另有 {n} 段"
LOUDNESS_SILENCES = "静音 {n} 段（坐标轴上的 x）：{gaps}"
LOUDNESS_NO_GAPS = "没有 2 秒以上的静音"
PLAYER_NO_DISPLAY = "无法播放：这是远程（SSH）会话，没有图形桌面；请在工作站本机上按 o 播放"
PLAYER_NO_VIDEO = "这件作品没有视频文件"
PLAYER_MISSING = "无法播放：找不到 xdg-open（请安装 xdg-utils 和视频播放器）"
PLAYER_STARTED = "已用系统播放器打开：{file}"
PLAYER_FAILED = "无法播放：{error}"
KEYS = {
    **KEYS,
    "detail.frame_next": "下一帧",
    "detail.frame_previous": "上一帧",
    "detail.play": "播放视频",
}
KEY_GROUPS = {**KEY_GROUPS, "detail.frame_next": "本屏幕", "detail.frame_previous": "本屏幕", "detail.play": "本屏幕"}

# station doctor: the picture mode the review TUI would use in this terminal (tui.graphics)
GRAPHICS_FACT = "评审界面画面图片：{mode}（{why}）"
GRAPHICS_MODES = {"kitty": "Kitty 图形协议", "sixel": "Sixel 图形", "blocks": "字符块"}
GRAPHICS_WHY = {
    "answer": "按终端的应答",
    "no-answer": "终端 0.3 秒内未应答",
    "multiplexer": "在 tmux/screen 中",
    "not-tty": "不是终端",
    "forced": "由环境变量 STATION_GRAPHICS 指定",
    "error": "无法询问终端",
}
