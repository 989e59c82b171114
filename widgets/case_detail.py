"""The case detail panel: every field, the step timers, the flow log, the photos
and one button per action this user may take now.

`CaseDetailPanel` shows a `models.case_view.CaseDetail` snapshot; it never reads
the database. Photos come through a callable `fetch_attachment(id) -> bytes`
the shell passes in; the running countdown ticks every second from an injected
clock. Buttons only *ask* (`actionRequested(action)`): the shell opens the
`widgets.action_dialogs.ActionDialog` and applies it through `CaseService`.

The formatting is pure functions (`field_groups`, `timer_rows`, `flow_rows`,
`live_timer`) tested without a widget.

Demo with fake data::

    python -m widgets.case_detail [--wall] [--en] [--conference] [--screenshot PNG] [--quit-after MS]
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFormLayout, QFrame, QGridLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QProgressBar,
                               QPushButton, QScrollArea, QSizePolicy, QStyle, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from models.case_view import CaseDetail, FlowItem, StepTimer
from models.enums import CaseStatus, Light
from models.queue import light_of
from widgets import labels as L

Clock = Callable[[], dt.datetime]
FetchAttachment = Callable[[int], bytes]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# --- pure formatting -----------------------------------------------------------

# Fields shown through a name elsewhere in the panel (class, grid, town, department, …).
SHOWN_BY_NAME = frozenset({"id", "minor_class_id", "grid_id", "village_id", "town_id", "department_id",
                           "duplicate_of_id"})
# Fields shown in the step-timer table (deadline, done time, on time per step).
SHOWN_IN_TIMERS = frozenset({
    "verify_deadline", "accept_deadline", "dispatch_deadline", "handle_deadline", "check_deadline",
    "verified_at", "filed_at", "dispatched_at", "handled_at", "checked_at", "closed_at",
    "verify_on_time", "accept_on_time", "dispatch_on_time", "handle_on_time", "check_on_time"})

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("group_basic", ("code", "class", "description", "source", "reporter_name", "reporter_phone",
                     "reporter_staff_id", "status", "self_handled", "is_demo", "reported_at", "updated_at",
                     "version")),
    ("group_location", ("town", "grid", "address", "lon", "lat")),
    ("group_handling", ("level", "department", "auto_dispatched", "first_dispatched_at", "voided_at",
                        "closed_level", "close_type", "rework_count", "return_count", "duplicate_of",
                        "status_before_suspend")),
    ("group_limits", ("time_limit", "step", "step_started_at", "step_yellow_at", "step_deadline",
                      "close_deadline", "extension_count", "suspended_at", "suspended_seconds")),
    ("group_supervision", ("card", "card_points", "appeal_pending")),
)
_GROUPED = frozenset(k for _, keys in GROUPS for k in keys)


def value_text(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return L.fmt_bool(value)
    if isinstance(value, dt.datetime):
        return L.fmt_time(value)
    table = {"status": L.STATUS, "status_before_suspend": L.STATUS, "source": L.SOURCE, "level": L.LEVEL,
             "closed_level": L.LEVEL, "card": L.CARD, "close_type": L.CLOSE_TYPE, "step": L.STEP}.get(key)
    if table is not None:
        return L.text(table, value)
    if key in ("lon", "lat"):
        return f"{float(value):.6f}"
    if key == "suspended_seconds":
        return L.fmt_duration(float(value))
    if key == "card_points":
        return f"{float(value):g}"
    if key == "reporter_staff_id":
        return f"#{value}"
    return str(value)


def field_groups(detail: CaseDetail) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The grouped fields as `[(group title, [(key, label, text), …]), …]`.

    Every key of `detail.fields` appears in a group, in the timer table
    (`SHOWN_IN_TIMERS`) or through a name (`SHOWN_BY_NAME`); a column added to
    the schema later lands in a last "其他" group rather than vanishing.
    """
    f = detail.fields
    derived = {
        "code": detail.code,
        "class": f"{detail.class_code} {detail.class_name}",
        "town": detail.town_name,
        "grid": f"{detail.grid_code} {detail.grid_name}",
        "department": detail.department or "—",
        "duplicate_of": detail.duplicate_of_code or "—",
        "time_limit": f"{detail.time_limit:g} {L.unit(detail.time_unit)}",
        "status": L.status(detail.status),
        "level": L.level(detail.level),
        "card": L.card(detail.card),
    }
    out = []
    for group, keys in GROUPS:
        rows = []
        for key in keys:
            if key in derived:
                rows.append((key, L.field(key), derived[key]))
            elif key in f:
                rows.append((key, L.field(key), value_text(key, f[key])))
        out.append((L.ui(group), rows))
    rest = [k for k in f if k not in _GROUPED | SHOWN_BY_NAME | SHOWN_IN_TIMERS]
    if rest:
        out.append((L.ui("group_other"), [(k, L.field(k), value_text(k, f[k])) for k in rest]))
    return out


def pack_columns(sizes: list[int], n: int) -> list[list[int]]:
    """Split items (in order) into `n` columns of about equal total size, keeping the order."""
    n = max(1, min(n, len(sizes))) if sizes else 1
    total = sum(sizes)
    cols: list[list[int]] = [[] for _ in range(n)]
    acc, c = 0, 0
    for i, size in enumerate(sizes):
        left_items, left_cols = len(sizes) - i, n - c
        # move to the next column when this one has its share, or when every column left needs an item
        if cols[c] and c < n - 1 and (acc + size / 2 > total * (c + 1) / n or left_items < left_cols):
            c += 1
        cols[c].append(i)
        acc += size
    return cols


@dataclass(frozen=True)
class LiveTimer:
    """The running step at `now`: light, share of the limit used, seconds to the deadline."""

    light: Light
    fraction: float | None
    remaining_seconds: float | None
    paused: bool


def live_timer(detail: CaseDetail, timer: StepTimer, now: dt.datetime) -> LiveTimer:
    """Move the snapshot's running timer on to `now` without the work calendar.

    The light is exact: the snapshot carries the yellow moment and the deadline,
    both computed with the work calendar. The used share is interpolated in wall
    time from the snapshot's value (at the load moment, `deadline -
    remaining_seconds`) to 1.0 at the deadline — exact at both ends, monotone in
    between; a reload of the snapshot makes it exact again.
    """
    if detail.status is CaseStatus.SUSPENDED:
        return LiveTimer(Light.NONE, timer.used_fraction, timer.remaining_seconds, True)
    deadline = detail.fields.get("step_deadline") or timer.deadline
    if deadline is None:
        return LiveTimer(Light.NONE, None, None, False)
    light = light_of(detail.status, detail.fields.get("step_yellow_at"), deadline, now)
    remaining = (deadline - now).total_seconds()
    f0 = timer.used_fraction
    if f0 is None:
        return LiveTimer(light, None, remaining, False)
    loaded = deadline - dt.timedelta(seconds=timer.remaining_seconds or 0.0)
    if now <= loaded or f0 >= 1.0:
        fraction = f0
    elif now >= deadline:
        fraction = 1.0
    else:
        span = (deadline - loaded).total_seconds()
        fraction = f0 + (1.0 - f0) * (now - loaded).total_seconds() / span
    if light is Light.RED:
        fraction = max(fraction, 1.0)
    return LiveTimer(light, fraction, remaining, False)


@dataclass(frozen=True)
class TimerRow:
    step: str
    deadline: str
    done: str
    on_time: str
    state: str
    running: bool


def _running_text(live: LiveTimer) -> str:
    if live.paused:
        return L.ui("paused")
    parts = []
    if live.remaining_seconds is not None:
        parts.append(L.fmt_countdown(live.remaining_seconds))
    if live.fraction is not None:
        parts.append(L.ui("used", round(live.fraction * 100)))
    return " · ".join(parts)


def timer_rows(detail: CaseDetail, now: dt.datetime) -> list[TimerRow]:
    """One row per step of the snapshot's timers, the running one moved on to `now`."""
    rows = []
    for t in detail.timers:
        if t.running:
            state = _running_text(live_timer(detail, t, now))
        elif t.done_at is not None:
            state = L.ui("done")
        else:
            state = L.ui("not_started") if t.deadline is None else "—"
        on_time = "—" if t.on_time is None else L.ui("on_time") if t.on_time else L.ui("late")
        rows.append(TimerRow(L.step(t.step), L.fmt_time(t.deadline), L.fmt_time(t.done_at), on_time, state,
                             t.running))
    return rows


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def conference_summary(conf: object) -> str:
    """Provider, room, participants and outcome of a consult; the full payload stays in the log."""
    if not isinstance(conf, Mapping):
        return str(conf)
    parts = [str(conf.get("provider", "")), str(conf.get("room", ""))]
    people = conf.get("participants") or []
    names = [p.get("name", "") for p in people if isinstance(p, Mapping)]
    if names:
        parts.append("、".join(names[:4]) + (f" 等{len(names)}人" if len(names) > 4 else ""))
    if conf.get("exit_code") is not None:
        parts.append(f"exit {conf['exit_code']}")
    return " · ".join(p for p in parts if p)


def flow_detail_text(item: FlowItem, duplicate_code: str | None = None,
                     departments: Mapping[int, str] | None = None) -> str:
    """The facts in a flow row's `detail` (card, extension, conference, …) as one line."""
    d = dict(item.detail)
    parts = []
    if "card" in d:
        pts = d.pop("points", None)
        parts.append(L.card(d.pop("card")) + (f" (-{_num(pts)})" if pts else ""))
    if "extension" in d:
        unit = d.pop("unit", "")
        ext = f"+{_num(d.pop('extension'))} {L.unit(unit)}"
        if "new_deadline" in d:
            try:
                ext += " → " + L.fmt_time(dt.datetime.fromisoformat(d.pop("new_deadline")))
            except (TypeError, ValueError):
                pass
        parts.append(ext)
    if "rework" in d:
        parts.append(f"{L.field('rework_count')} {d.pop('rework')}")
    if "returned_by_department" in d:
        dep = d.pop("returned_by_department")
        parts.append(f"{L.ui('col_department')}: {(departments or {}).get(dep, dep if dep is not None else '—')}")
    if "duplicate_of" in d:
        dup = d.pop("duplicate_of")
        parts.append(f"{L.field('duplicate_of')} {duplicate_code or f'#{dup}'}")
    if "from_level" in d:
        parts.append(f"{L.level(d.pop('from_level'))} → {L.level(item.level)}")
    if "suspended_seconds" in d:
        parts.append(f"{L.field('suspended_seconds')} {L.fmt_duration(float(d.pop('suspended_seconds')))}")
    if "accepted" in d:
        parts.append(L.ui("accept") if d.pop("accepted") else L.ui("reject"))
    if "revoked_card" in d:
        parts.append(f"-{L.card(d.pop('revoked_card'))}")
    if "against" in d:
        against = d.pop("against")
        parts.append(L.ui("appeal_against", L.field("card") if against == "card" else L.action("close")))
    if "conference" in d:
        parts.append(f"{L.ui('conference')}: {conference_summary(d.pop('conference'))}")
    if d.pop("auto", False):
        parts.append(L.ui("auto"))
    parts.extend(f"{k}={v}" for k, v in sorted(d.items()))
    return "; ".join(parts)


def flow_rows(detail: CaseDetail, departments: Mapping[int, str] | None = None) -> list[tuple[str, ...]]:
    """Flow-log rows, oldest first: time, action, actor/role, from → to, level, department, reason, details."""
    rows = []
    for f in detail.flow:
        transition = f"{L.status(f.from_status)} → {L.status(f.to_status)}" if f.from_status \
            else L.status(f.to_status)
        rows.append((L.fmt_time(f.at), L.action(f.action), f"{f.actor} / {L.role(f.role)}", transition,
                     L.level(f.level) if f.level else "—", f.department or "—", f.reason or "",
                     flow_detail_text(f, detail.duplicate_of_code, departments)))
    return rows


def is_image(att) -> bool:
    return att.kind == "photo" or (att.mime or "").startswith("image/")


# --- widgets -----------------------------------------------------------------


def _chip(text: str, colour: str, font: QFont) -> QLabel:
    lab = QLabel(text)
    lab.setObjectName("chip")
    lab.setFont(font)  # a style sheet would otherwise fall back to the application font
    lab.setStyleSheet(f"QLabel {{ background: {colour}; color: white; border-radius: 4px; padding: 2px 8px; }}")
    return lab


def _fit_height(table: QTableWidget) -> None:
    """Make a table exactly as tall as its rows (it lives in the panel's scroll area)."""
    table.resizeRowsToContents()
    h = table.horizontalHeader().sizeHint().height() + table.verticalHeader().length() + 2 * table.frameWidth() + 2
    table.setFixedHeight(h)


class PhotoDialog(QDialog):
    """A larger view of one photo (click a thumbnail)."""

    def __init__(self, pixmap: QPixmap, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        shown = pixmap
        if pixmap.width() > 1200 or pixmap.height() > 900:
            shown = pixmap.scaled(1200, 900, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
        self.image.setPixmap(shown)
        lay = QVBoxLayout(self)
        lay.addWidget(self.image)


class CaseDetailPanel(QWidget):
    """Shows one `CaseDetail`; emits what the user asks for.

    Signals: `actionRequested(action value)`, `locateRequested(case id)`,
    `conferenceRequested(case id)` (button only when `conference_enabled`).
    `wall_mode` hides every action button and enlarges the fonts.
    """

    actionRequested = Signal(str)
    locateRequested = Signal(int)
    conferenceRequested = Signal(int)

    WALL_SCALE = 1.7

    def __init__(self, parent: QWidget | None = None, *, clock: Clock | None = None,
                 fetch_attachment: FetchAttachment | None = None, wall_mode: bool = False,
                 conference_enabled: bool = False, departments: Mapping[int, str] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseDetailPanel")
        self._clock = clock or _now
        self._fetch = fetch_attachment
        self._wall = wall_mode
        self._conference = conference_enabled
        self._departments = dict(departments or {})
        self._detail: CaseDetail | None = None
        self._thumb_cache: dict[int, QPixmap | None] = {}
        self._buttons: dict[str, QPushButton] = {}
        self._base_font = QFont(self.font())
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh_timers)
        self._timer.start()
        self._apply_font()
        self.set_detail(None)

    # --- construction ---------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        # header: code, class, chips, running timer, locate / conference
        head = QHBoxLayout()
        self.code_label = QLabel()
        self.code_label.setObjectName("caseCode")
        self.class_label = QLabel()
        self.chips = QHBoxLayout()
        self.chips.setSpacing(4)
        head.addWidget(self.code_label)
        head.addWidget(self.class_label)
        head.addLayout(self.chips)
        head.addStretch(1)
        self.locate_button = QPushButton(L.ui("locate"))
        self.locate_button.setObjectName("locateButton")
        self.locate_button.clicked.connect(self._on_locate_clicked)
        self.conference_button = QPushButton(L.ui("conference"))
        self.conference_button.setObjectName("conferenceButton")
        self.conference_button.clicked.connect(self._on_conference_clicked)
        head.addWidget(self.locate_button)
        head.addWidget(self.conference_button)
        outer.addLayout(head)

        self.progress = QProgressBar()
        self.progress.setObjectName("runningTimer")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.progress)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.body_layout = QVBoxLayout(body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.groups_layout = QHBoxLayout()
        self.groups_layout.setSpacing(8)
        self._group_boxes: list[QGroupBox] = []
        self._columns = 0
        self.body_layout.addLayout(self.groups_layout)

        self.timers_box = QGroupBox(L.ui("timers"))
        self.timer_table = QTableWidget(0, 5)
        self._setup_table(self.timer_table)
        QVBoxLayout(self.timers_box).addWidget(self.timer_table)
        self.body_layout.addWidget(self.timers_box)

        self.flow_box = QGroupBox(L.ui("flow"))
        self.flow_table = QTableWidget(0, 8)
        self._setup_table(self.flow_table)
        self.flow_table.setWordWrap(True)
        QVBoxLayout(self.flow_box).addWidget(self.flow_table)
        self.body_layout.addWidget(self.flow_box)

        self.photos_box = QGroupBox(L.ui("photos"))
        self.photo_list = QListWidget()
        self.photo_list.setObjectName("photoList")
        self.photo_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.photo_list.setIconSize(QSize(128, 96))
        self.photo_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.photo_list.setMovement(QListWidget.Movement.Static)
        self.photo_list.setWrapping(True)
        self.photo_list.setSpacing(6)
        self.photo_list.setFixedHeight(150)
        self.photo_list.itemClicked.connect(self._on_photo_clicked)
        QVBoxLayout(self.photos_box).addWidget(self.photo_list)
        self.body_layout.addWidget(self.photos_box)
        self.body_layout.addStretch(1)
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll, 1)

        self.empty_label = QLabel(L.ui("no_case"), alignment=Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.empty_label)

        self.button_bar = QWidget()
        self.button_bar.setObjectName("actionBar")
        self.button_layout = QGridLayout(self.button_bar)
        self.button_layout.setContentsMargins(0, 4, 0, 0)
        outer.addWidget(self.button_bar)

    @staticmethod
    def _setup_table(table: QTableWidget) -> None:
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    # --- public API -------------------------------------------------------------
    def detail(self) -> CaseDetail | None:
        return self._detail

    def set_detail(self, detail: CaseDetail | None) -> None:
        """Show `detail` (None: the empty state). Call again with each fresh snapshot."""
        if detail is None or self._detail is None or detail.id != self._detail.id:
            self._thumb_cache.clear()
        self._detail = detail
        empty = detail is None
        self.empty_label.setVisible(empty)
        self.scroll.setVisible(not empty)
        self.progress.setVisible(False)
        self.locate_button.setVisible(not empty)
        self.conference_button.setVisible(not empty and self._conference)
        self._render_header()
        self._render_groups()
        self._render_timers()
        self._render_flow()
        self._render_photos()
        self._render_buttons()
        self.refresh_timers()

    def set_wall_mode(self, on: bool) -> None:
        self._wall = bool(on)
        self._apply_font()
        self.set_detail(self._detail)

    def wall_mode(self) -> bool:
        return self._wall

    def set_conference_enabled(self, on: bool) -> None:
        self._conference = bool(on)
        self.conference_button.setVisible(self._detail is not None and self._conference)

    def set_departments(self, departments: Mapping[int, str]) -> None:
        """Department id → name, for ids in flow details (returned by …)."""
        self._departments = dict(departments)
        self._render_flow()

    def set_clock(self, clock: Clock) -> None:
        self._clock = clock
        self.refresh_timers()

    def action_buttons(self) -> dict[str, QPushButton]:
        """Action value → its button (exactly the actions of the snapshot; none on the wall)."""
        return dict(self._buttons)

    def group_texts(self) -> dict[str, dict[str, str]]:
        """Group title → {field label: text} as shown."""
        out = {}
        for box in self._group_boxes:
            form = box.layout()
            rows = {}
            for r in range(form.rowCount()):
                lab = form.itemAt(r, QFormLayout.ItemRole.LabelRole)
                val = form.itemAt(r, QFormLayout.ItemRole.FieldRole)
                if lab and val:
                    rows[lab.widget().text().rstrip(":")] = val.widget().text()
            out[box.title()] = rows
        return out

    # --- rendering --------------------------------------------------------------
    def _apply_font(self) -> None:
        f = QFont(self._base_font)
        size = f.pointSizeF() if f.pointSizeF() > 0 else 10.0
        f.setPointSizeF(size * (self.WALL_SCALE if self._wall else 1.0))
        self.setFont(f)
        big = QFont(f)
        big.setPointSizeF(f.pointSizeF() * 1.35)
        big.setBold(True)
        self.code_label.setFont(big)
        icon = QSize(192, 144) if self._wall else QSize(128, 96)
        line = self.fontMetrics().height()
        self.photo_list.setIconSize(icon)
        self.photo_list.setGridSize(QSize(icon.width() + 40, icon.height() + 2 * line + 16))
        self.photo_list.setFixedHeight(icon.height() + 2 * line + 40)

    def _render_header(self) -> None:
        while self.chips.count():
            w = self.chips.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        d = self._detail
        if d is None:
            self.code_label.setText("")
            self.class_label.setText("")
            return
        self.code_label.setText(d.code)
        self.class_label.setText(f"{d.class_name}  ·  {d.town_name} {d.grid_name}")
        f = self.font()
        self.chips.addWidget(_chip(L.status(d.status), "#455a64", f))
        if d.light is not Light.NONE:
            self.chips.addWidget(_chip(L.light(d.light), L.light_colour(d.light), f))
        if d.card.value != "none":
            self.chips.addWidget(_chip(L.card(d.card), L.CARD_COLOURS.get(d.card.value, "#9e9e9e"), f))
        if d.fields.get("appeal_pending"):
            self.chips.addWidget(_chip(L.field("appeal_pending"), "#6a1b9a", f))

    def _render_groups(self) -> None:
        for box in self._group_boxes:
            box.setParent(None)
            box.deleteLater()
        self._group_boxes = []
        if self._detail is not None:
            for title, rows in field_groups(self._detail):
                box = QGroupBox(title)
                form = QFormLayout(box)
                form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
                for key, label, value in rows:
                    val = QLabel(value)
                    val.setObjectName(f"field_{key}")
                    val.setWordWrap(True)
                    val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                    form.addRow(label + ":", val)
                self._group_boxes.append(box)
        self._columns = 0
        self._layout_groups()

    def _column_count(self) -> int:
        scale = self.WALL_SCALE if self._wall else 1.0
        width = self.width() / scale
        return 3 if width >= 1000 else 2 if width >= 640 else 1

    def _layout_groups(self) -> None:
        """Pack the group boxes into as many columns as the width allows, balanced by rows."""
        n = self._column_count()
        if n == self._columns:
            return
        self._columns = n
        while self.groups_layout.count():
            item = self.groups_layout.takeAt(0)
            lay = item.layout()
            if lay is not None:
                while lay.count():
                    lay.takeAt(0)
                lay.deleteLater()
        sizes = [box.layout().rowCount() + 2 for box in self._group_boxes]
        packed = pack_columns(sizes, n)
        cols = [QVBoxLayout() for _ in packed]
        for col, members in zip(cols, packed, strict=True):
            for i in members:
                col.addWidget(self._group_boxes[i])
            col.addStretch(1)
            self.groups_layout.addLayout(col, 1)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._refit_tables()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._refit_tables()

    def _refit_tables(self) -> None:
        """Column widths and heights once the final font is known (polish, wall mode)."""
        for t in (self.timer_table, self.flow_table):
            t.resizeColumnsToContents()
            _fit_height(t)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._group_boxes and self._column_count() != self._columns:
            self._layout_groups()

    def _render_timers(self) -> None:
        t = self.timer_table
        t.setHorizontalHeaderLabels([L.ui(k) for k in ("col_step", "col_deadline", "col_done", "col_on_time",
                                                       "col_state")])
        rows = timer_rows(self._detail, self._clock()) if self._detail else []
        t.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate((row.step, row.deadline, row.done, row.on_time, row.state)):
                item = QTableWidgetItem(text)
                if row.running:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                t.setItem(r, c, item)
        _fit_height(t)

    def _render_flow(self) -> None:
        t = self.flow_table
        t.setHorizontalHeaderLabels([L.ui(k) for k in ("col_time", "col_action", "col_actor", "col_transition",
                                                       "col_level", "col_department", "col_reason",
                                                       "col_detail")])
        rows = flow_rows(self._detail, self._departments) if self._detail else []
        t.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                t.setItem(r, c, item)
        hh = t.horizontalHeader()
        hh.setSectionResizeMode(6, QHeaderView.ResizeMode.Interactive)
        if rows:
            t.setColumnWidth(6, 220 if not self._wall else 360)
        _fit_height(t)

    def _thumbnail(self, att_id: int) -> QPixmap | None:
        if att_id not in self._thumb_cache:
            pix = None
            if self._fetch is not None:
                try:
                    data = self._fetch(att_id)
                except Exception:  # noqa: BLE001 - a missing file must not break the panel
                    data = None
                if data:
                    p = QPixmap()
                    if p.loadFromData(data):
                        pix = p
            self._thumb_cache[att_id] = pix
        return self._thumb_cache[att_id]

    def _render_photos(self) -> None:
        self.photo_list.clear()
        d = self._detail
        atts = d.attachments if d else ()
        self.photos_box.setVisible(d is not None)
        size = self.photo_list.iconSize()
        for att in atts:
            item = QListWidgetItem(att.filename)
            item.setData(Qt.ItemDataRole.UserRole, att.id)
            item.setToolTip(f"{att.filename} · {att.stage} · {att.added_by} · {L.fmt_time(att.added_at)}")
            pix = self._thumbnail(att.id) if is_image(att) else None
            if pix is not None:
                item.setIcon(QIcon(pix.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation)))
            else:
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon))
                if is_image(att):
                    item.setText(f"{att.filename}\n{L.ui('load_failed')}")
            self.photo_list.addItem(item)
        if d is not None and not atts:
            item = QListWidgetItem(L.ui("no_photos"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.photo_list.addItem(item)

    def _render_buttons(self) -> None:
        for b in self._buttons.values():
            self.button_layout.removeWidget(b)
            b.setParent(None)
            b.deleteLater()
        self._buttons = {}
        d = self._detail
        if d is None or self._wall:
            self.button_bar.setVisible(False)
            return
        per_row = 6
        for i, action in enumerate(d.actions):
            b = QPushButton(L.action(action))
            b.setObjectName(f"action_{action.value}")
            b.setProperty("action", action.value)
            b.clicked.connect(lambda _=False, a=action.value: self.actionRequested.emit(a))
            self.button_layout.addWidget(b, i // per_row, i % per_row)
            self._buttons[action.value] = b
        self.button_bar.setVisible(bool(self._buttons))

    def refresh_timers(self) -> None:
        """Move the running timer on to the clock's now (every second)."""
        d = self._detail
        running = next((t for t in d.timers if t.running), None) if d else None
        if running is None:
            self.progress.setVisible(False)
            return
        live = live_timer(d, running, self._clock())
        self.progress.setVisible(True)
        frac = live.fraction if live.fraction is not None else 0.0
        self.progress.setValue(int(min(max(frac, 0.0), 1.0) * 1000))
        text = f"{L.step(running.step)}  ·  {_running_text(live)}"
        self.progress.setFormat(text)
        colour = L.light_colour(live.light)
        self.progress.setStyleSheet(
            f"QProgressBar {{ border: 1px solid #888; border-radius: 4px; text-align: center; }}"
            f"QProgressBar::chunk {{ background: {colour}; }}")
        self.progress.setProperty("light", live.light.value)
        row = next((i for i, t in enumerate(d.timers) if t.running), None)
        if row is not None and self.timer_table.item(row, 4) is not None:
            self.timer_table.item(row, 4).setText(_running_text(live))

    def running_timer_text(self) -> str:
        """The countdown line of the running step as shown ('' when none runs)."""
        if self.progress.isHidden():
            return ""
        return self.progress.format()

    # --- handlers -----------------------------------------------------------
    def _on_locate_clicked(self) -> None:
        if self._detail is not None:
            self.locateRequested.emit(self._detail.id)

    def _on_conference_clicked(self) -> None:
        if self._detail is not None:
            self.conferenceRequested.emit(self._detail.id)

    def _on_photo_clicked(self, item: QListWidgetItem) -> None:
        att_id = item.data(Qt.ItemDataRole.UserRole)
        if att_id is None:
            return
        pix = self._thumb_cache.get(att_id)
        if pix is None:
            return
        name = item.text()
        self.photo_dialog = PhotoDialog(pix, L.ui("photo_title", name), self)
        self.photo_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.photo_dialog.show()


# --- demo (clearly fake data) -------------------------------------------------------


def demo_photo(text: str, colour: str, size: tuple[int, int] = (800, 600)) -> bytes:
    """A fake 'photo': a coloured PNG with a caption (needs a QGuiApplication)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage, QPainter

    img = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    img.fill(QColor(colour))
    p = QPainter(img)
    p.setPen(QColor("white"))
    f = p.font()
    f.setPointSize(36)
    p.setFont(f)
    p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(dev, "PNG")
    return bytes(buf.data())


def demo_detail(now: dt.datetime | None = None) -> CaseDetail:
    """A FAKE case (演示数据) being handled by a department, for demos and screenshots."""
    from models.case_view import AttachmentInfo
    from models.enums import Card, CaseSource, Level, Step, TimeUnit
    from models.lifecycle.actions import Action

    now = now or _now()
    rep = now - dt.timedelta(hours=3, minutes=10)
    filed, disp = rep + dt.timedelta(minutes=12), rep + dt.timedelta(minutes=25)
    handle_deadline = disp + dt.timedelta(hours=4)
    yellow = disp + dt.timedelta(hours=3, minutes=12)
    fields = {
        "id": 1, "code": "AJ2099010100042", "minor_class_id": 12,
        "description": "演示: 小区门口暴露垃圾约 2 m², 有异味",
        "address": "演示路 88 号 (虚构)", "source": CaseSource.HOTLINE.value, "reporter_name": "张演示",
        "reporter_phone": "13800000000", "reporter_staff_id": None, "lon": 121.3712, "lat": 28.5521,
        "grid_id": 3, "village_id": 1, "town_id": 1, "level": Level.VILLAGE.value, "department_id": 1,
        "status": CaseStatus.DISPATCHED.value, "status_before_suspend": None, "self_handled": False,
        "auto_dispatched": False, "is_demo": True, "reported_at": rep, "verified_at": None, "filed_at": filed,
        "dispatched_at": disp, "handled_at": None, "checked_at": None, "closed_at": None, "voided_at": None,
        "first_dispatched_at": disp, "verify_deadline": rep + dt.timedelta(minutes=30),
        "accept_deadline": rep + dt.timedelta(days=1), "dispatch_deadline": filed + dt.timedelta(minutes=30),
        "handle_deadline": handle_deadline, "check_deadline": None,
        "close_deadline": handle_deadline + dt.timedelta(hours=2), "step_deadline": handle_deadline,
        "step_started_at": disp, "step_yellow_at": yellow, "step": Step.HANDLE.value, "verify_on_time": None,
        "accept_on_time": True, "dispatch_on_time": True, "handle_on_time": None, "check_on_time": None,
        "suspended_at": None, "suspended_seconds": 0, "extension_count": 0, "rework_count": 0, "return_count": 0,
        "card": Card.NORMAL.value, "card_points": 0.0, "closed_level": None, "close_type": None,
        "appeal_pending": False, "duplicate_of_id": None, "version": 5, "updated_at": now - dt.timedelta(minutes=20),
    }
    used = (now - disp).total_seconds() / (handle_deadline - disp).total_seconds()
    timers = (
        StepTimer(Step.VERIFY, fields["verify_deadline"], None, None, False, Light.NONE, None, None),
        StepTimer(Step.ACCEPT, fields["accept_deadline"], filed, True, False, Light.NONE, None, None),
        StepTimer(Step.DISPATCH, fields["dispatch_deadline"], disp, True, False, Light.NONE, None, None),
        StepTimer(Step.HANDLE, handle_deadline, None, None, True, Light.GREEN, used,
                  (handle_deadline - now).total_seconds()),
        StepTimer(Step.CHECK, None, None, None, False, Light.NONE, None, None),
        StepTimer(Step.CLOSE, fields["close_deadline"], None, None, False, Light.NONE, None, None),
    )
    flow = (
        FlowItem(rep, "report", "hotline01", "duty_officer", None, "reported", "grid", "", "", {}),
        FlowItem(filed, "file", "duty01", "duty_officer", "reported", "filed", "grid", "", "", {}),
        FlowItem(disp, "dispatch", "dispatch01", "dispatcher", "filed", "dispatched", "village",
                 "演示区综合行政执法局", "", {}),
        FlowItem(now - dt.timedelta(minutes=20), "card", "leader01", "shift_leader", "dispatched", "dispatched",
                 "village", "演示区综合行政执法局", "演示: 群众反映强烈, 请尽快处置",
                 {"card": "normal", "points": 0.0, "conference": "room=AJ2099010100042"}),
    )
    atts = (
        AttachmentInfo(101, "现场照片1.png", "photo", "report", "image/png", rep, "hotline01"),
        AttachmentInfo(102, "现场照片2.png", "photo", "report", "image/png", rep, "hotline01"),
        AttachmentInfo(103, "来电记录.txt", "file", "report", "text/plain", rep, "hotline01"),
    )
    return CaseDetail(
        id=1, code=fields["code"], version=5, fields=fields, class_code="1102", class_name="暴露垃圾",
        time_limit=4.0, time_unit=TimeUnit.WORK_HOURS, grid_code="331099001001003", grid_name="演示网格3",
        town_name="演示镇", department="演示区综合行政执法局", status=CaseStatus.DISPATCHED, level=Level.VILLAGE,
        card=Card.NORMAL, light=Light.GREEN, timers=timers, flow=flow, attachments=atts,
        actions=(Action.EXTEND, Action.SUSPEND, Action.ESCALATE, Action.CARD, Action.RETURN, Action.FEEDBACK),
        duplicate_of_code=None)


def demo_fetcher() -> FetchAttachment:
    photos = {101: ("演示照片 1", "#5d7f99"), 102: ("演示照片 2", "#7a6a53")}
    return lambda att_id: demo_photo(*photos[att_id]) if att_id in photos else b"fake text file"


def main(argv: list[str] | None = None) -> int:
    import argparse

    from PySide6.QtWidgets import QApplication

    ap = argparse.ArgumentParser(description="Case detail panel demo (fake data)")
    ap.add_argument("--wall", action="store_true")
    ap.add_argument("--en", action="store_true")
    ap.add_argument("--conference", action="store_true")
    ap.add_argument("--screenshot", metavar="PNG")
    ap.add_argument("--size", default="1100x1000")
    ap.add_argument("--quit-after", type=int, metavar="MS")
    opts = ap.parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if opts.en:
        L.set_language("en")
    panel = CaseDetailPanel(wall_mode=opts.wall, conference_enabled=opts.conference,
                            fetch_attachment=demo_fetcher())
    panel.setWindowTitle("GridDesk — case detail (DEMO, fake data)")
    panel.set_detail(demo_detail())
    for sig in (panel.actionRequested, panel.locateRequested, panel.conferenceRequested):
        sig.connect(lambda v: print("requested", v))
    w, h = (int(x) for x in opts.size.split("x"))
    panel.resize(w, h)
    from widgets.demo_support import run_demo

    return run_demo(app, panel, opts.screenshot, opts.quit_after)


if __name__ == "__main__":
    sys.exit(main())
