"""Display texts of the domain codes, Simplified Chinese and English. Pure, no Qt.

Models return codes and enums, never display strings (STYLE §2); widgets turn
them into text here. Every table maps a code (the enum's value) to
``(zh, en)``. `text()` falls back to the code itself, so a new enum value shows
up as its code rather than disappearing.

The language is a module setting (`set_language("en")`), read when a widget
renders; widgets re-render on their next `set_…` call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import Enum
from typing import Any

LANGUAGES = ("zh", "en")
_lang = "zh"


def set_language(lang: str) -> None:
    global _lang
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _lang = lang


def language() -> str:
    return _lang


Table = Mapping[str, tuple[str, str]]

STATUS: Table = {
    "reported": ("已上报", "Reported"),
    "verified": ("已核实", "Verified"),
    "filed": ("已立案", "Filed"),
    "dispatched": ("已派遣", "Dispatched"),
    "handled": ("已处置", "Handled"),
    "checked": ("已核查", "Checked"),
    "closed": ("已结案", "Closed"),
    "voided": ("已作废", "Voided"),
    "suspended": ("挂账", "Suspended"),
}

ACTION: Table = {
    "report": ("上报", "Report"),
    "self_handle": ("自处理", "Self-handled"),
    "verify": ("核实", "Verify"),
    "file": ("立案", "File"),
    "void": ("作废", "Void"),
    "mark_duplicate": ("重复件", "Duplicate"),
    "dispatch": ("派遣", "Dispatch"),
    "feedback": ("处置反馈", "Feedback"),
    "check": ("核查通过", "Check passed"),
    "close": ("结案", "Close"),
    "rework": ("返工", "Rework"),
    "return": ("回退", "Return"),
    "extend": ("延期", "Extend"),
    "suspend": ("挂账", "Suspend"),
    "resume": ("恢复", "Resume"),
    "escalate": ("上报上级", "Escalate"),
    "card": ("督办", "Supervise"),
    "appeal": ("申诉", "Appeal"),
    "decide_appeal": ("申诉裁定", "Decide appeal"),
    "conference_start": ("视频会商开始", "Video consult started"),
    "conference_end": ("视频会商结束", "Video consult ended"),
}

LEVEL: Table = {
    "grid": ("网格", "Grid"),
    "village": ("村社", "Village"),
    "town": ("镇街", "Town"),
    "district": ("区级", "District"),
}

CARD: Table = {
    "none": ("无", "None"),
    "normal": ("普通督办", "Normal"),
    "yellow": ("黄牌", "Yellow card"),
    "red": ("红牌", "Red card"),
}

SOURCE: Table = {
    "grid_worker": ("网格员巡查", "Grid worker"),
    "hotline": ("12345热线", "12345 hotline"),
    "camera": ("视频/AI发现", "Video / AI"),
    "public": ("群众上报", "Public"),
    "wechat": ("微信群", "WeChat group"),
    "legacy": ("历史导入", "Imported"),
}

UNIT: Table = {
    "urgent_hours": ("紧急工作时", "urgent hours"),
    "work_hours": ("工作时", "working hours"),
    "work_days": ("工作日", "working days"),
    "calendar_days": ("自然日", "calendar days"),
}

ROLE: Table = {
    "duty_officer": ("值班员", "Duty officer"),
    "shift_leader": ("值班长", "Shift leader"),
    "dispatcher": ("派遣员", "Dispatcher"),
    "town_officer": ("镇街", "Town officer"),
    "finance": ("财务", "Finance"),
    "admin": ("管理员", "Admin"),
    "grid_worker": ("网格员", "Grid worker"),
    "department": ("职能部门", "Department"),
}

STEP: Table = {
    "verify": ("核实", "Verify"),
    "accept": ("受理立案", "Accept"),
    "dispatch": ("派遣", "Dispatch"),
    "handle": ("处置", "Handle"),
    "check": ("核查", "Check"),
    "close": ("结案", "Close"),
}

LIGHT: Table = {
    "green": ("绿灯", "Green"),
    "yellow": ("黄灯", "Yellow"),
    "red": ("红灯", "Red"),
    "none": ("—", "—"),
}

CLOSE_TYPE: Table = {
    "normal": ("正常结案", "Normal"),
    "overdue": ("超时结案", "Overdue"),
    "error": ("差错结案", "Error"),
    "special": ("特殊结案", "Special"),
    "self_handled": ("自处理", "Self-handled"),
}

CLASS_KIND: Table = {
    "component": ("部件", "Component"),
    "event": ("事件", "Event"),
    "comprehensive": ("全科网格", "Comprehensive"),
}

# Columns of `models.schema.Case` (CaseDetail.fields keys) and a few derived names.
FIELD: Table = {
    "id": ("编号(内部)", "Internal id"),
    "code": ("案件编号", "Case code"),
    "class": ("案件类别", "Class"),
    "minor_class_id": ("小类", "Minor class"),
    "description": ("问题描述", "Description"),
    "address": ("地址", "Address"),
    "source": ("来源", "Source"),
    "reporter_name": ("上报人", "Reporter"),
    "reporter_phone": ("联系电话", "Phone"),
    "reporter_staff_id": ("上报网格员", "Reporting worker"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "grid": ("网格", "Grid"),
    "grid_id": ("网格", "Grid"),
    "village_id": ("村社", "Village"),
    "town": ("镇街", "Town"),
    "town_id": ("镇街", "Town"),
    "level": ("处置层级", "Handling level"),
    "department": ("责任部门", "Department"),
    "department_id": ("责任部门", "Department"),
    "status": ("状态", "Status"),
    "status_before_suspend": ("挂账前状态", "Status before suspension"),
    "self_handled": ("自处理", "Self-handled"),
    "auto_dispatched": ("自动派遣", "Auto-dispatched"),
    "is_demo": ("演示数据", "Demo data"),
    "reported_at": ("上报时间", "Reported at"),
    "verified_at": ("核实时间", "Verified at"),
    "filed_at": ("立案时间", "Filed at"),
    "dispatched_at": ("派遣时间", "Dispatched at"),
    "handled_at": ("处置反馈时间", "Handled at"),
    "checked_at": ("核查时间", "Checked at"),
    "closed_at": ("结案时间", "Closed at"),
    "voided_at": ("作废时间", "Voided at"),
    "first_dispatched_at": ("首次派遣时间", "First dispatched at"),
    "verify_deadline": ("核实期限", "Verify deadline"),
    "accept_deadline": ("受理期限", "Accept deadline"),
    "dispatch_deadline": ("派遣期限", "Dispatch deadline"),
    "handle_deadline": ("处置期限", "Handling deadline"),
    "check_deadline": ("核查期限", "Check deadline"),
    "close_deadline": ("结案期限", "Closing deadline"),
    "step_deadline": ("当前环节期限", "Current step deadline"),
    "step_started_at": ("当前环节开始", "Current step started"),
    "step_yellow_at": ("黄灯时刻", "Turns yellow at"),
    "step": ("当前环节", "Current step"),
    "verify_on_time": ("核实按时", "Verified on time"),
    "accept_on_time": ("受理按时", "Accepted on time"),
    "dispatch_on_time": ("派遣按时", "Dispatched on time"),
    "handle_on_time": ("处置按时", "Handled on time"),
    "check_on_time": ("核查按时", "Checked on time"),
    "suspended_at": ("挂账开始", "Suspended since"),
    "suspended_seconds": ("累计挂账", "Total suspension"),
    "extension_count": ("延期次数", "Extensions"),
    "rework_count": ("返工次数", "Reworks"),
    "return_count": ("回退次数", "Returns"),
    "card": ("督办", "Supervision card"),
    "card_points": ("督办扣分", "Card points"),
    "closed_level": ("结案层级", "Closed at level"),
    "close_type": ("结案类型", "Close type"),
    "appeal_pending": ("申诉待裁定", "Appeal pending"),
    "duplicate_of_id": ("重复于", "Duplicate of"),
    "duplicate_of": ("重复于", "Duplicate of"),
    "time_limit": ("处置时限", "Handling limit"),
    "attachments": ("附件数", "Attachments"),
    "version": ("版本", "Version"),
    "updated_at": ("更新时间", "Updated at"),
}

# Texts of the widgets themselves (titles, buttons, messages); `{}` fields are str.format'ed.
UI: Table = {
    "no_case": ("未选择案件", "No case selected"),
    "group_basic": ("基本信息", "Basic"),
    "group_location": ("位置", "Location"),
    "group_handling": ("处置", "Handling"),
    "group_limits": ("时限", "Time limits"),
    "group_supervision": ("督办", "Supervision"),
    "group_other": ("其他", "Other"),
    "timers": ("环节计时", "Step timers"),
    "flow": ("流转记录", "Flow log"),
    "photos": ("照片与附件", "Photos and files"),
    "no_photos": ("无附件", "No attachments"),
    "locate": ("地图定位", "Show on map"),
    "conference": ("视频会商", "Video consult"),
    "col_step": ("环节", "Step"),
    "col_deadline": ("期限", "Deadline"),
    "col_done": ("完成时间", "Done at"),
    "col_on_time": ("是否按时", "On time"),
    "col_state": ("计时", "Timer"),
    "col_time": ("时间", "Time"),
    "col_action": ("动作", "Action"),
    "col_actor": ("操作人/角色", "Actor / role"),
    "col_transition": ("状态变化", "Status"),
    "col_level": ("层级", "Level"),
    "col_department": ("部门", "Department"),
    "col_reason": ("原因/说明", "Reason"),
    "col_detail": ("详情", "Details"),
    "on_time": ("按时", "on time"),
    "late": ("超时", "late"),
    "not_started": ("未开始", "not started"),
    "done": ("已完成", "done"),
    "paused": ("挂账暂停", "paused"),
    "remaining": ("剩余 {}", "{} left"),
    "overdue": ("超时 {}", "{} overdue"),
    "used": ("已用 {}%", "{}% used"),
    "days": ("{}天", "{}d"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "auto": ("自动", "automatic"),
    "load_failed": ("无法加载", "cannot load"),
    "photo_title": ("照片 {}", "Photo {}"),
    "appeal_against": ("申诉对象: {}", "appeal against: {}"),
    # action dialog
    "dlg_title": ("{} — 案件 {}", "{} — case {}"),
    "reason": ("原因", "Reason"),
    "cancel": ("取消", "Cancel"),
    "note": ("备注(可选)", "Note (optional)"),
    "department_pick": ("责任部门", "Department"),
    "department_search": ("搜索部门编码或名称", "Search department code or name"),
    "level_pick": ("处置层级", "Handling level"),
    "escalate_to": ("上报至", "Escalate to"),
    "card_pick": ("督办等级", "Card"),
    "current_card": ("当前: {}", "current: {}"),
    "extension": ("延期时长", "Extension"),
    "current_deadline": ("当前处置期限 {}", "current handling deadline {}"),
    "close_type": ("结案类型", "Close type"),
    "duplicate_of": ("重复于案件编号", "Duplicate of case code"),
    "decision": ("裁定", "Decision"),
    "accept": ("申诉成立", "Accept"),
    "reject": ("驳回", "Reject"),
    "confirm": ("确认对案件 {} 执行“{}”", "Apply “{1}” to case {0}"),
    "err_reason": ("请填写原因", "A reason is required"),
    "err_department": ("请选择责任部门", "Choose a department"),
    "err_department_unknown": ("所选部门不在可选列表中", "The department is not in the list"),
    "err_card": ("请选择高于当前的督办等级", "Choose a card above the current one"),
    "err_extension": ("延期时长须大于 0", "The extension must be more than 0"),
    "err_duplicate": ("请填写重复的原案件编号", "Enter the code of the original case"),
    "err_duplicate_unknown": ("找不到案件 {}", "No case {}"),
    "err_duplicate_self": ("不能标记为自身的重复件", "A case cannot duplicate itself"),
    "err_decision": ("请选择裁定结果", "Choose accept or reject"),
    "err_escalate_top": ("已是区级, 不能再上报", "Already at district level"),
    "err_action_gone": ("当前状态下已不能执行“{}”", "“{}” is no longer possible in this state"),
    # conflict dialog
    "conflict_title": ("案件已被他人修改", "The case was changed by someone else"),
    "conflict_intro": ("案件 {} 在您编辑期间已被修改 (版本 {} → {})。您的输入已保留。",
                       "Case {} was changed while you were editing (version {} → {}). Your input is kept."),
    "conflict_changes": ("他人的操作", "What others did"),
    "conflict_diff": ("字段变化", "Changed fields"),
    "conflict_mine": ("您的输入", "Your input"),
    "col_field": ("字段", "Field"),
    "col_old": ("原值", "Before"),
    "col_new": ("现值", "Now"),
    "col_to": ("变为", "To"),
    "reapply": ("重新加载并提交我的输入", "Reload and re-apply my input"),
    "edit_again": ("重新加载并修改", "Reload and edit"),
    "discard": ("放弃我的输入", "Discard my input"),
    # intake dialog
    "intake_title": ("受理登记", "New report"),
    "class_search": ("搜索类别: 编码、名称、大类、类型", "Search class: code, name, major, kind"),
    "col_code": ("编码", "Code"),
    "col_name": ("名称", "Name"),
    "col_major": ("大类", "Major"),
    "col_kind": ("类型", "Kind"),
    "col_limit": ("时限", "Limit"),
    "rule": ("立案条件: {}", "Filing condition: {}"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "pick_on_map": ("可在地图上点击选点", "or click on the map"),
    "grid_found": ("{} {} ({})", "{} {} ({})"),
    "grid_none": ("该位置不在任何网格内", "The point is in no grid"),
    "description": ("问题描述", "Description"),
    "address": ("地址", "Address"),
    "source": ("来源", "Source"),
    "reporter_name": ("上报人", "Reporter"),
    "reporter_phone": ("联系电话", "Phone"),
    "self_handled": ("已现场自行处置(微事不出格)", "Already fixed on the spot (self-handled)"),
    "duplicates": ("疑似重复案件 (同类、{} 米内)", "Possible duplicates (same class, within {} m)"),
    "no_duplicates": ("未发现疑似重复案件", "No possible duplicates"),
    "mark_duplicate": ("标记为所选案件的重复件", "Mark as a duplicate of the selected case"),
    "col_distance": ("距离", "Distance"),
    "col_status": ("状态", "Status"),
    "col_reported": ("上报时间", "Reported"),
    "col_description": ("描述", "Description"),
    "save": ("保存", "Save"),
    "err_class": ("请选择案件类别", "Choose a class"),
    "err_coords": ("请填写有效的经纬度", "Enter valid coordinates"),
    "err_bbox": ("坐标不在本区范围内 ({:.4f}–{:.4f} E, {:.4f}–{:.4f} N)",
                 "The point is outside the district ({:.4f}–{:.4f} E, {:.4f}–{:.4f} N)"),
    "err_grid": ("该位置不在任何网格内", "The point is in no grid"),
    "err_description": ("请填写问题描述", "Enter a description"),
    "err_phone": ("电话格式不正确 (手机 11 位或座机如 0576-82345678)",
                  "Invalid phone (11-digit mobile or landline like 0576-82345678)"),
    "err_dup_select": ("请选择要标记的原案件", "Select the original case"),
}

_TABLES = {"status": STATUS, "action": ACTION, "level": LEVEL, "card": CARD, "source": SOURCE, "unit": UNIT,
           "role": ROLE, "step": STEP, "light": LIGHT, "close_type": CLOSE_TYPE, "class_kind": CLASS_KIND,
           "field": FIELD, "ui": UI}


def _code(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def text(table: Table | str, code: Any, lang: str | None = None) -> str:
    """The display text of `code` (an enum or its value); the code itself if unknown."""
    if code is None:
        return ""
    tbl = _TABLES[table] if isinstance(table, str) else table
    key = _code(code)
    pair = tbl.get(key)
    if pair is None:
        return key
    return pair[1] if (lang or _lang) == "en" else pair[0]


def ui(key: str, *args: Any, lang: str | None = None) -> str:
    """A widget text, formatted with `args`."""
    s = text(UI, key, lang)
    return s.format(*args) if args else s


def status(code: Any) -> str:
    return text(STATUS, code)


def action(code: Any) -> str:
    return text(ACTION, code)


def level(code: Any) -> str:
    return text(LEVEL, code)


def card(code: Any) -> str:
    return text(CARD, code)


def source(code: Any) -> str:
    return text(SOURCE, code)


def unit(code: Any) -> str:
    return text(UNIT, code)


def role(code: Any) -> str:
    return text(ROLE, code)


def step(code: Any) -> str:
    return text(STEP, code)


def light(code: Any) -> str:
    return text(LIGHT, code)


def close_type(code: Any) -> str:
    return text(CLOSE_TYPE, code)


def class_kind(code: Any) -> str:
    return text(CLASS_KIND, code)


def field(name: str) -> str:
    return text(FIELD, name)


# Colours of the timer lights (readable on the light and the dark theme).
LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "none": "#9e9e9e"}
CARD_COLOURS = {"none": "#9e9e9e", "normal": "#1565c0", "yellow": "#f9a825", "red": "#c62828"}


def light_colour(code: Any) -> str:
    return LIGHT_COLOURS.get(_code(code), LIGHT_COLOURS["none"])


def fmt_time(value: dt.datetime | None, seconds: bool = False) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def fmt_bool(value: bool | None) -> str:
    if value is None:
        return "—"
    return ui("yes") if value else ui("no")


def fmt_duration(seconds: float) -> str:
    """`1天 02:03:04` / `02:03:04` of a non-negative number of seconds."""
    s = int(abs(seconds))
    days, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    clock = f"{h:02d}:{m:02d}:{s:02d}"
    return f"{ui('days', days)} {clock}" if days else clock


def fmt_countdown(remaining_seconds: float) -> str:
    """`剩余 01:02:03` before the deadline, `超时 00:05:00` after it."""
    if remaining_seconds >= 0:
        return ui("remaining", fmt_duration(remaining_seconds))
    return ui("overdue", fmt_duration(remaining_seconds))
