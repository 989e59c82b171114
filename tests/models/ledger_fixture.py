"""A hand-made ledger of 35 cases for checking the indicators by hand.

Every case is a short script of actions at explicit times, run through the real
engine (`models.lifecycle.apply`, as the demo seeder does) on a fixed work
calendar (the 2026 default: no holiday in March, 清明 4–6 April), and written
as Case and FlowLog rows on the small district of `tests.factories`:

    town 331004001: grid g1 = 331004001001001, g2 = 331004001001002
    town 331004002: grid g3 = 331004002001001, g4 = 331004002001002

Period under test: [2026-03-01, 2026-04-01); as-of T1 = Mon 16 March 12:00 and
"now" (everything below is long past). Default policy: verify 0.5 urgent h,
accept 1 working day, dispatch 0.5 urgent h, check 2 working hours; working
hours 08:30–12:00, 13:30–17:30. Classes: 1102 暴露垃圾 4 wh (D01, village),
1103 道路保洁 2 wh (D01, village), 1101 私搭乱建 20 wd (D01, town), 1201 非法小广告
4 wh (D01, grid), 1503 机动车乱停放 2 wh (D09, grid), 2401 邻里纠纷 5 wd (D12,
village), 0101 上水井盖 2 urgent h (D04, town). Dispatches go to the class's
department unless a script says otherwise.

`HAND` below gives, per case, what each script should produce — worked out by
hand, and checked against the engine by `check_hand_facts` — and the indicator
tests sum these facts by hand in their comments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.defaults.cn_holidays import default_calendar_rows
from models.enums import CaseSource, CaseStatus, CloseType, Level
from models.enums import UserRole as R
from models.lifecycle import Action, Ctx, Params, apply, open_case
from models.lifecycle.record import as_row, new_record
from models.lifecycle.service import class_rule, flow_row
from models.policy import Policy
from models.schema import Case, Department, DictionaryVersion, Grid, MinorClass
from models.workcalendar import WorkCalendar
from tests.factories import grid_centre

PERIOD = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
T1 = dt.datetime(2026, 3, 16, 12, 0)
CALENDAR = WorkCalendar.from_rows([r for y in (2025, 2026, 2027, 2028, 2029) for r in default_calendar_rows(y)])
GRIDS = {"g1": ("331004001001001", 0), "g2": ("331004001001002", 1), "g3": ("331004002001001", 2),
         "g4": ("331004002001002", 3)}
TOWN1, GRID1, DEPT = "331004001", "331004001001001", "D01"

GW, HOT, CAM, PUB, WX = (CaseSource.GRID_WORKER, CaseSource.HOTLINE, CaseSource.CAMERA, CaseSource.PUBLIC,
                         CaseSource.WECHAT)
DUTY = Identity(None, "ledger-duty", "值班员", R.DUTY_OFFICER)
DISPATCHER = Identity(None, "ledger-dispatch", "派遣员", R.DISPATCHER)
LEADER = Identity(None, "ledger-leader", "值班长", R.SHIFT_LEADER)
WORKER = Identity(None, "ledger-grid", "网格员", R.GRID_WORKER)


def t(text: str) -> dt.datetime:
    """'03-02 09:00' → 2026-03-02 09:00."""
    day, hm = text.split()
    month, d = (int(x) for x in day.split("-"))
    h, m = (int(x) for x in hm.split(":"))
    return dt.datetime(2026, month, d, h, m)


@dataclass(frozen=True)
class Script:
    code: str
    grid: str
    cls: str
    source: CaseSource
    reported: str
    steps: tuple = ()
    self_handled: bool = False
    note: str = ""


S = Script
LEDGER: tuple[Script, ...] = (
    # --- town 1, grid g1 ---------------------------------------------------------
    S("L01", "g1", "1102", GW, "03-02 09:00", (("file", "03-02 09:20"), ("dispatch", "03-02 09:40", {"auto": True}),
                                                ("feedback", "03-02 11:40"), ("check", "03-02 14:00"),
                                                ("close", "03-02 15:00")), note="closed on time"),
    S("L02", "g1", "1102", HOT, "03-03 10:00", (("verify", "03-03 10:20"), ("file", "03-03 11:00"),
                                                 ("dispatch", "03-03 11:20"), ("feedback", "03-05 11:20"),
                                                 ("check", "03-05 15:00"), ("close", "03-06 09:00")),
      note="overdue closure"),
    S("L03", "g1", "1102", GW, "03-04 08:40", (("file", "03-04 09:00"), ("dispatch", "03-04 09:10"),
                                                ("feedback", "03-04 11:00"), ("rework", "03-04 14:00"),
                                                ("dispatch", "03-04 15:00"), ("feedback", "03-05 09:00"),
                                                ("check", "03-05 10:00"), ("close", "03-05 11:00")),
      note="reworked once, late re-dispatch, overdue closure"),
    S("L04", "g1", "1201", GW, "03-05 10:00", self_handled=True, note="self-handled"),
    S("L05", "g1", "1102", PUB, "03-06 09:00", (("void", "03-06 10:00"),), note="voided"),
    S("L06", "g1", "1102", WX, "03-09 08:30", (("file", "03-09 09:00"), ("dispatch", "03-09 09:20"),
                                                ("suspend", "03-09 10:00")), note="still suspended (dispatched)"),
    S("L07", "g1", "1103", GW, "03-10 08:50", (("file", "03-10 09:00"), ("dispatch", "03-10 09:10"),
                                                ("suspend", "03-10 10:00"), ("resume", "03-17 09:00"),
                                                ("feedback", "03-17 10:00"), ("check", "03-17 11:00"),
                                                ("close", "03-17 14:00")),
      note="suspended and resumed; closed exactly at the shifted deadline"),
    S("L08", "g1", "1102", HOT, "03-12 09:00", (("file", "03-12 09:10"), ("dispatch", "03-12 09:20"),
                                                 ("feedback", "03-13 09:20")), note="handled, not closed"),
    S("L09", "g1", "1102", GW, "02-27 09:00", (("file", "02-27 10:00"), ("dispatch", "02-27 10:10"),
                                                ("feedback", "02-27 12:10"), ("check", "02-27 14:00"),
                                                ("close", "03-02 10:00")), note="filed before the period"),
    S("L10", "g1", "1102", GW, "03-31 16:00", (("file", "04-01 09:00"), ("dispatch", "04-01 09:20"),
                                                ("feedback", "04-01 11:20"), ("check", "04-01 14:00"),
                                                ("close", "04-01 15:00")), note="reported in, filed after"),
    S("L26", "g1", "1201", CAM, "03-13 09:00", (("file", "03-13 09:20"), ("dispatch", "03-13 09:30", {"auto": True}),
                                                 ("feedback", "03-13 15:30"), ("check", "03-13 16:00"),
                                                 ("close", "03-13 16:30")), note="grid level, handled late"),
    S("L27", "g1", "1102", HOT, "03-16 08:00", (("verify", "03-16 08:20"), ("file", "03-16 08:50"),
                                                 ("dispatch", "03-16 09:40"), ("feedback", "03-16 11:40"),
                                                 ("check", "03-16 13:40"), ("close", "03-16 14:00")),
      note="straddles T1: handled before, checked and closed after"),
    S("L33", "g1", "1102", GW, "03-04 13:00", (("file", "03-04 13:30"), ("dispatch", "03-04 13:40"),
                                                ("feedback", "03-05 09:40"), ("suspend", "03-05 10:00")),
      note="still suspended (handled)"),
    # --- town 1, grid g2 ---------------------------------------------------------
    S("L11", "g2", "1102", HOT, "03-17 09:00", (("file", "03-17 09:30"), ("dispatch", "03-17 09:40"),
                                                 ("escalate", "03-17 11:00"), ("dispatch", "03-18 10:00"),
                                                 ("feedback", "03-19 10:00"), ("check", "03-19 15:00"),
                                                 ("close", "03-20 09:00")),
      note="escalated village → town, closed late at town level"),
    S("L12", "g2", "1101", PUB, "03-02 10:00", (("file", "03-02 11:00"), ("dispatch", "03-02 11:20")),
      note="open, closing deadline 30 Mar passed"),
    S("L13", "g2", "1103", CAM, "03-11 14:00", (("file", "03-11 14:30"), ("dispatch", "03-11 15:30")),
      note="open, dispatched late, deadline passed before T1"),
    S("L14", "g2", "1503", GW, "03-16 08:40", (("file", "03-16 09:00"), ("dispatch", "03-16 09:10", {"auto": True}),
                                                ("feedback", "03-16 10:10"), ("check", "03-16 11:00"),
                                                ("close", "03-16 11:30")), note="grid level, closed before T1"),
    S("L15", "g2", "1102", HOT, "03-18 09:00", (("file", "03-18 09:30"), ("dispatch", "03-18 09:40"),
                                                 ("feedback", "03-18 11:00"), ("rework", "03-18 14:00")),
      note="in rework: filed again, not re-dispatched"),
    S("L16", "g2", "1102", CAM, "03-20 10:00", (("verify", "03-20 10:10"), ("void", "03-20 10:30")),
      note="verified then voided"),
    S("L28", "g2", "1103", GW, "03-16 10:00", (("file", "03-16 10:10"), ("dispatch", "03-16 10:20"),
                                                ("feedback", "03-16 13:50"), ("check", "03-16 15:00"),
                                                ("close", "03-17 09:00")),
      note="dispatched before T1, handled just on time after it, overdue closure"),
    S("L34", "g2", "1503", GW, "03-25 14:00", (("file", "03-25 14:10"), ("dispatch", "03-25 14:20", {"auto": True}),
                                                ("feedback", "03-25 15:20"), ("check", "03-25 16:00"),
                                                ("close", "03-25 16:10")), note="grid level"),
    # --- town 2, grid g3 ---------------------------------------------------------
    S("L17", "g3", "2401", PUB, "03-02 14:00", (("verify", "03-02 14:40"), ("file", "03-03 09:00"),
                                                 ("dispatch", "03-03 09:20"), ("feedback", "03-06 16:20"),
                                                 ("check", "03-09 09:00"), ("close", "03-09 10:00")),
      note="verified late; 5 working days"),
    S("L18", "g3", "0101", HOT, "03-07 20:00", (("file", "03-07 20:10"), ("dispatch", "03-07 20:30", {"auto": True}),
                                                 ("feedback", "03-07 22:00"), ("check", "03-09 09:00"),
                                                 ("close", "03-09 09:30")), note="Saturday night, town level"),
    S("L19", "g3", "1102", GW, "03-12 13:00", (("file", "03-12 13:40"), ("dispatch", "03-12 14:00"),
                                                ("feedback", "03-13 16:00"), ("check", "03-16 09:00"),
                                                ("close", "03-16 10:00")), note="overdue, checked at the deadline"),
    S("L20", "g3", "1503", GW, "03-13 15:00", self_handled=True, note="self-handled"),
    S("L24", "g3", "1102", GW, "03-24 09:00", (("file", "03-24 09:10"), ("dispatch", "03-24 09:20", {"auto": True}),
                                                ("feedback", "03-24 10:20"), ("check", "03-24 11:00"),
                                                ("close", "03-24 11:30")), note="closed on time"),
    S("L29", "g3", "1102", GW, "03-19 09:00", (("file", "03-19 09:10"), ("dispatch", "03-19 09:20"),
                                                ("feedback", "03-19 10:00"), ("rework", "03-19 10:30"),
                                                ("dispatch", "03-19 10:40"), ("feedback", "03-19 11:00"),
                                                ("rework", "03-19 11:10"), ("dispatch", "03-19 13:40"),
                                                ("feedback", "03-19 15:40"), ("check", "03-19 16:00"),
                                                ("close", "03-19 16:30")), note="reworked twice, closed on time"),
    S("L31", "g3", "1102", HOT, "03-10 09:00", (("verify", "03-10 09:20"), ("void", "03-10 09:40")),
      note="verified then voided"),
    S("L35", "g3", "1102", GW, "04-02 09:00", (("file", "04-02 09:30"), ("dispatch", "04-02 09:40")),
      note="after the period"),
    # --- town 2, grid g4 ---------------------------------------------------------
    S("L21", "g4", "1101", GW, "03-05 09:00", (("file", "03-05 10:00"), ("dispatch", "03-05 10:20"),
                                                ("escalate", "03-05 16:00"), ("dispatch", "03-06 09:00")),
      note="escalated town → district, open, due 2 Apr"),
    S("L22", "g4", "1102", HOT, "03-30 16:00", (("file", "03-30 16:30"), ("dispatch", "03-30 16:40"),
                                                 ("feedback", "03-31 10:40"), ("check", "04-01 09:00"),
                                                 ("close", "04-01 10:00")), note="closed after the period, late"),
    S("L23", "g4", "1103", WX, "03-23 09:00", (("file", "03-23 09:20"), ("dispatch", "03-23 09:30"),
                                                ("feedback", "03-23 11:00"), ("check", "03-23 14:00")),
      note="checked, not closed"),
    S("L25", "g4", "1101", PUB, "03-25 09:00", (("verify", "03-25 09:20"), ("file", "03-25 10:00"),
                                                 ("dispatch", "03-25 10:20"), ("extend", "03-26 10:00", {"extension": 1000})),
      note="extended far into the future: open, not due"),
    S("L30", "g4", "1102", PUB, "03-26 09:00", (("file", "03-27 17:00"),), note="accepted late, never dispatched"),
    S("L32", "g4", "1102", WX, "02-27 17:00", (("file", "03-02 09:00"), ("dispatch", "03-02 09:20"),
                                                ("feedback", "03-02 13:30"), ("check", "03-02 14:00"),
                                                ("close", "03-02 15:00")), note="reported before, filed in the period"),
)


# What each script must produce, worked out by hand (see the module docstring for the limits).
# status, level, department, close deadline, on-time flags (verify accept dispatch handle check:
# T/F/-), handle minutes (dispatched → handled), close type.
@dataclass(frozen=True)
class Hand:
    status: CaseStatus
    level: Level
    dept: str | None
    close_deadline: str | None
    flags: str
    minutes: int | None = None
    close_type: CloseType | None = None


C, H, D, F, V, SU, CK = (CaseStatus.CLOSED, CaseStatus.HANDLED, CaseStatus.DISPATCHED, CaseStatus.FILED,
                         CaseStatus.VOIDED, CaseStatus.SUSPENDED, CaseStatus.CHECKED)
LG, LV, LT, LD = Level.GRID, Level.VILLAGE, Level.TOWN, Level.DISTRICT
NORMAL, OVERDUE, SELF = CloseType.NORMAL, CloseType.OVERDUE, CloseType.SELF_HANDLED
HAND: dict[str, Hand] = {
    # filed 09:20 → +0.5 h 09:50 → +4 wh 15:20 → +2 wh 17:20; handled 2 h after dispatch (handle deadline 15:10)
    "L01": Hand(C, LV, "D01", "03-02 17:20", "-TTTT", 120, NORMAL),
    # 11:00 → 11:30 → 17:00 → 0.5 h + 1.5 h → 3-04 10:00; handle deadline 3-03 16:50, check deadline 3-05 14:50
    "L02": Hand(C, LV, "D01", "03-04 10:00", "TTTFF", 2880, OVERDUE),
    # 09:00 → 09:30 → 15:00 → 17:00; re-dispatch 15:00 after a 14:00 rework (deadline 14:30); handled 3-05 09:00
    # (deadline 10:00); duration counted from the latest dispatch: 18 h
    "L03": Hand(C, LV, "D01", "03-04 17:00", "-TFTT", 1080, OVERDUE),
    # self-handled at 10:00: 10:30 → +4 wh (1201) 16:00 → +2 wh 3-06 09:00
    "L04": Hand(C, LG, None, "03-06 09:00", "-T---", None, SELF),
    "L05": Hand(V, LG, None, None, "-----"),
    "L06": Hand(SU, LV, "D01", "03-09 17:00", "-TT--"),
    # 09:00 → 09:30 → 11:30 → 15:00; paused 3-10 10:00 → 3-17 09:00 (36.5 wh): 5 wh of the closing limit were
    # left at 10:00 → 3-17 14:00; handle deadline 11:10 had 1 h 10 left → 3-17 10:10; duration 7 d 50 min
    "L07": Hand(C, LV, "D01", "03-17 14:00", "-TTTT", 10130, NORMAL),
    "L08": Hand(H, LV, "D01", "03-12 17:10", "-TTF-", 1440),
    "L09": Hand(C, LV, "D01", "02-28 09:00", "-TTTT", 120, OVERDUE),  # Sat 28 Feb is a make-up working day
    "L10": Hand(C, LV, "D01", "04-01 17:00", "-TTTT", 120, NORMAL),
    # 09:20 → 09:50 → 15:20 → 17:20; handled 15:30 > 15:00
    "L26": Hand(C, LG, "D01", "03-13 17:20", "-TTFT", 360, NORMAL),
    # accept: 1 wd from 08:00 Mon = 17:30 the same day; dispatch 09:40 > 09:20; 08:50 → 09:20 → 14:50 → 16:50
    "L27": Hand(C, LV, "D01", "03-16 16:50", "TTFTT", 120, NORMAL),
    "L33": Hand(SU, LV, "D01", "03-05 11:00", "-TTF-", 1200),
    # 09:30 → 10:00 → 15:30 → 17:30; re-dispatched 3-18 10:00 after the 11:00 escalation (deadline 11:30)
    "L11": Hand(C, LT, "D01", "03-17 17:30", "-TFFF", 1440, OVERDUE),
    # 11:00 → 11:30 → + 20 wd = 3-30 11:30 → + 2 wh 15:00
    "L12": Hand(D, LT, "D01", "03-30 15:00", "-TT--"),
    "L13": Hand(D, LV, "D01", "03-12 10:00", "-TF--"),  # 14:30 → 15:00 → 17:00 → 3-12 10:00
    "L14": Hand(C, LG, "D09", "03-16 15:00", "-TTTT", 60, NORMAL),
    # after the rework: filed again, no department, the round's handling cleared; dispatch flag of round 1 kept
    "L15": Hand(F, LV, None, "03-18 17:30", "-TT--"),
    "L16": Hand(V, LG, None, None, "T----"),
    # 10:10 → 10:40 → 14:10 → 16:10; handled at 13:50 = deadline
    "L28": Hand(C, LV, "D01", "03-16 16:10", "-TTTT", 210, OVERDUE),
    "L34": Hand(C, LG, "D09", "03-26 09:40", "-TTTT", 60, NORMAL),
    # verify deadline 14:30; 09:00 → 09:30 → + 5 wd 3-10 09:30 → 11:30
    "L17": Hand(C, LV, "D12", "03-10 11:30", "FTTTT", 4740, NORMAL),
    # 20:10 → 20:40 → + 2 urgent h 22:40 → + 2 wh Mon 10:30
    "L18": Hand(C, LT, "D04", "03-09 10:30", "-TTTT", 90, NORMAL),
    "L19": Hand(C, LV, "D01", "03-13 11:10", "-TTFT", 1560, OVERDUE),
    "L20": Hand(C, LG, None, "03-16 10:30", "-T---", None, SELF),
    "L24": Hand(C, LV, "D01", "03-24 17:10", "-TTTT", 60, NORMAL),
    # last re-dispatch 13:40 after the 11:10 rework (deadline 11:40); handle deadline 3-20 08:40
    "L29": Hand(C, LV, "D01", "03-19 17:10", "-TFTT", 120, NORMAL),
    "L31": Hand(V, LG, None, None, "T----"),
    "L35": Hand(D, LV, "D01", "04-02 17:30", "-TT--"),  # 09:30 → 10:00 → 15:30 → 17:30
    # 10:00 → 10:30 → + 20 wd 4-02 10:30 → 14:00; re-dispatched 3-06 09:00 (deadline 3-05 16:30)
    "L21": Hand(D, LD, "D01", "04-02 14:00", "-TF--"),
    "L22": Hand(C, LV, "D01", "03-31 15:30", "-TTTF", 1080, OVERDUE),
    "L23": Hand(CK, LV, "D01", "03-23 15:20", "-TTTT", 90),
    "L25": Hand(D, LT, "D01", None, "TTT--"),  # closing deadline years ahead (extension of 1000 working days)
    # accept deadline 3-27 09:00; 17:00 → 17:30 → + 4 wh 3-30 14:00 → + 2 wh 16:00
    "L30": Hand(F, LG, None, "03-30 16:00", "-F---"),
    # accept: 0.5 h on Fri 27 Feb, 7 h on Sat 28 Feb (make-up working day) → 2-28 17:00 < filed 3-02 09:00
    "L32": Hand(C, LV, "D01", "03-02 17:00", "-FTTT", 250, NORMAL),
}


@dataclass
class Built:
    """A scripted case after the engine ran it (before it gets a database id)."""

    script: Script
    record: Any
    flow: list = field(default_factory=list)


def run_scripts(refs: dict[str, Any], policy: Policy | None = None) -> list[Built]:
    """Run every script through the engine. `refs` maps class codes to ClassRules,
    grid names to (grid id, village id, town id), department codes to ids."""
    policy = policy or Policy()
    out = []
    for n, sc in enumerate(LEDGER, start=1):
        rule = refs["classes"][sc.cls]
        grid_id, village_id, town_id = refs["grids"][sc.grid]
        lon, lat = grid_centre(GRIDS[sc.grid][1])
        at = t(sc.reported)
        rec = new_record(id=None, code=f"LEDGER-{sc.code}", minor_class_id=rule.minor_class_id, source=sc.source,
                         description=f"手工台账 {sc.code}: {sc.note}", lon=lon, lat=lat, grid_id=grid_id,
                         village_id=village_id, town_id=town_id, status=CaseStatus.REPORTED, reported_at=at,
                         updated_at=at)
        reporter = WORKER if sc.source is CaseSource.GRID_WORKER else DUTY
        flow = list(open_case(rec, Ctx(reporter, at, CALENDAR, policy, rule), self_handled=sc.self_handled))
        for step in sc.steps:
            name, when = step[0], t(step[1])
            extra = step[2] if len(step) > 2 else {}
            action, actor, params = _step(name, rule, extra)
            flow.append(apply(rec, action, Ctx(actor, when, CALENDAR, policy, rule), params))
        out.append(Built(sc, rec, flow))
    return out


def _step(name: str, rule, extra: dict) -> tuple[Action, Identity, Params]:
    reason = {"void": "信息不实", "rework": "核查未通过", "escalate": "超出本级处置能力", "suspend": "历史遗留, 挂账",
              "resume": "条件具备, 恢复", "extend": "需协调多部门"}.get(name, "")
    actor = {"verify": WORKER, "file": DUTY, "void": DUTY, "dispatch": DISPATCHER, "check": WORKER,
             "rework": WORKER}.get(name, LEADER)
    params = Params(reason=reason, department_id=rule.department_id if name == "dispatch" else None,
                    auto=bool(extra.get("auto")), extension=extra.get("extension"))
    return Action(name), actor, params


def references(session: Session) -> dict[str, Any]:
    classes = {mc.code: class_rule(mc) for mc in session.scalars(
        sa.select(MinorClass).join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
        .where(DictionaryVersion.active.is_(True)))}
    grids = {}
    for name, (code, _) in GRIDS.items():
        g = session.scalar(sa.select(Grid).where(Grid.code == code))
        grids[name] = (g.id, g.village_id, g.town_id)
    depts = dict(session.execute(sa.select(Department.code, Department.id)).all())
    return {"classes": classes, "grids": grids, "depts": depts}


def build_ledger(session: Session) -> dict[str, int]:
    """Insert the ledger (cases and flow rows) on the small district; returns code → case id."""
    built = run_scripts(references(session))
    ids = {}
    for b in built:
        row = as_row(b.record)
        row.pop("id")
        case = Case(**row)
        session.add(case)
        session.flush()
        ids[b.script.code] = case.id
        for entry in b.flow:
            session.add(flow_row(case.id, entry))
    session.flush()
    return ids


def check_hand_facts(session: Session) -> list[str]:
    """Differences between the engine's rows and `HAND` (empty when they agree)."""
    depts = {v: k for k, v in session.execute(sa.select(Department.code, Department.id)).all()}
    out = []
    for case in session.scalars(sa.select(Case).where(Case.code.like("LEDGER-%"))):
        code = case.code.removeprefix("LEDGER-")
        h = HAND[code]
        flags = "".join("-" if v is None else ("T" if v else "F") for v in (
            case.verify_on_time, case.accept_on_time, case.dispatch_on_time, case.handle_on_time,
            case.check_on_time))
        minutes = None
        if case.handled_at and case.dispatched_at and not case.self_handled:
            minutes = int((case.handled_at - case.dispatched_at).total_seconds() // 60)
        got = Hand(case.status, case.level, depts.get(case.department_id),
                   None if code == "L25" or case.close_deadline is None else case.close_deadline.strftime("%m-%d %H:%M"),
                   flags, minutes, case.close_type)
        if got != h:
            out.append(f"{code}: engine {got} != hand {h}")
    return out


# --- the ledger as an old system's table (issue 3 item 8) -----------------------------

LEVEL_NAMES = {Level.GRID: "网格", Level.VILLAGE: "村社", Level.TOWN: "镇街", Level.DISTRICT: "区"}
SOURCE_NAMES = {GW: "网格员上报", HOT: "12345热线", CAM: "视频发现", PUB: "群众举报", WX: "微信群"}


def legacy_rows(*, with_deadline: bool = True) -> list[dict[str, Any]]:
    """The ledger as rows of `griddesk import incidents` (one per case, the latest round's times).

    The closing deadline is given only for cases whose deadline an old system could not
    recompute from the rule (suspended, extended) unless `with_deadline`.
    """
    built = run_scripts(_static_refs())
    rows = []
    for b in built:
        r = b.record
        sc = b.script
        keep_deadline = with_deadline or sc.code in ("L07", "L25")
        rows.append({
            "案件编号": sc.code, "小类编码": sc.cls, "来源": SOURCE_NAMES[sc.source], "描述": r.description,
            "经度": r.lon, "纬度": r.lat, "网格编码": GRIDS[sc.grid][0] if sc.code != "L01" else None,
            "上报时间": r.reported_at, "立案时间": r.filed_at, "派遣时间": r.dispatched_at,
            "处置完成时间": r.handled_at, "核查时间": r.checked_at, "结案时间": r.closed_at, "作废时间": r.voided_at,
            "返工次数": r.rework_count, "结案层级": LEVEL_NAMES[r.closed_level] if r.closed_level else None,
            "结案期限": r.close_deadline if keep_deadline else None,
            "挂账": "是" if r.status is CaseStatus.SUSPENDED else "否",
        })
    return rows


def _static_refs() -> dict[str, Any]:
    """References without a database (ids are placeholders; only times matter for the legacy rows)."""
    from models.defaults.dictionary import LEVELS, MINORS, UNITS
    from models.lifecycle.limits import ClassRule

    classes = {code: ClassRule(i, code, float(limit), UNITS[unit], int(dept[1:]), LEVELS[level])
               for i, (code, _n, limit, unit, dept, level, _f, _c) in enumerate(MINORS, start=1)}
    return {"classes": classes, "grids": {g: (i, i, i) for i, g in enumerate(GRIDS, start=1)}, "depts": {}}
