"""Background work of the reports panel (no widgets): read the towns' sheets,
compute a report, export it. Module-level functions run through `TaskRunner`
(STYLE §3); each opens its own Session and returns frozen results."""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
import itertools
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models.assessment import Quarter, TownScore, allocate_funding, rate_workers, store, yearly_bonus
from models.auth import Identity
from models.policy import Policy
from models.policy_store import current_policy_row, load_policy
from models.schema import Town
from models.scope import town_filter
from reports import preview as pv
from reports.funding_report import write_funding_report
from reports.ledger_report import write_ledger_report
from reports.metrics_sheet import MetricsImport, ScoresImport, read_metrics_files, read_scores_file
from reports.stars_report import write_bonus_report, write_stars_report
from reports.workbook import EXCEL_MAX_ROWS

try:
    from reports.bulletin import write_bulletin_workbook
except ImportError:  # the weekly bulletin is not installed
    write_bulletin_workbook = None

PREVIEW_LIMIT = 500  # ledger rows held for the preview; the export writes them all


class ReportError(Exception):
    """A report that cannot be made; `code` picks the panel's (translated) message."""

    def __init__(self, code: str, *details: Any) -> None:
        super().__init__(code, *details)
        self.code, self.details = code, details


@dc.dataclass(frozen=True)
class ReportRequest:
    kind: str  # reports.preview.STARS, ...
    source: str = pv.DATABASE
    quarter: Quarter | None = None
    year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # exclusive, as `griddesk report ledger --to`
    town: str | None = None  # town code (ledger)
    week: str | None = None  # "2026-W47"
    metrics: MetricsImport | None = None
    scores: ScoresImport | None = None
    files: tuple[str, ...] = ()  # names of the imported files

    @property
    def period(self) -> str:
        if self.kind == pv.STARS and self.quarter:
            return self.quarter.label
        if self.kind == pv.LEDGER and self.date_from and self.date_to:
            return f"{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}"
        if self.kind == pv.BULLETIN:
            return self.week or ""
        return str(self.year)


@dc.dataclass(frozen=True)
class Computed:
    """A computed report: what the preview shows and what the export writes."""

    request: ReportRequest
    policy: Policy
    sheets: tuple[pv.PreviewSheet, ...]
    result: Any  # StarRating | tuple[YearBonus, ...] | FundingResult | Bulletin | None (ledger)
    source: str  # 数据来源 written in the workbook's 说明 sheet
    missing_metrics: tuple[str, ...] = ()  # full-time workers without metrics (database stars)
    problems: int = 0  # problems in the imported files; export is refused while there are any


@dc.dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int | None = None  # ledger rows written
    sheets: tuple[str, ...] = ()
    stored: int = 0  # star results saved to the database
    pdf: Path | None = None  # the bulletin's one-page PDF, written with the workbook

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.path,) if self.pdf is None else (self.path, self.pdf)


@dc.dataclass
class ExportJob:
    """Shared by the panel and the export worker: the worker sets `result` and then `finished`."""

    path: Path
    pdf: Path | None = None  # the bulletin also writes this PDF (both files or neither)
    finished: threading.Event = dc.field(default_factory=threading.Event)
    result: ExportResult | None = None


def read_inputs(kind: str, paths: Sequence[str | os.PathLike[str]], *, task: Any) -> MetricsImport | ScoresImport:
    """Read the towns' metrics sheets (merged) or the funding scores sheet, keeping every problem."""
    task.check()
    if kind == pv.STARS:
        return read_metrics_files(paths)
    return read_scores_file(paths[0])


def compute_report(engine: Any, identity: Identity, request: ReportRequest, *, task: Any) -> Computed:
    """Compute `request` in a Session of its own; raises `ReportError` or the store's `AssessmentError`."""
    with Session(engine, info={"actor": identity.username}) as s:
        policy = load_policy(s)
        task.check()
        kind = request.kind
        if kind == pv.STARS:
            return _stars(s, identity, request, policy)
        if kind == pv.BONUS:
            bonuses = tuple(yearly_bonus(store.quarter_results(s, identity, request.year)))
            if not bonuses:
                raise ReportError("no_results", request.year)
            return Computed(request, policy, (pv.bonus_sheet(bonuses),), bonuses, "数据库")
        if kind == pv.FUNDING:
            return _funding(s, identity, request, policy)
        if kind == pv.LEDGER:
            total, rows = store.ledger_rows(s, identity, request.date_from, request.date_to, request.town)
            head = []
            for row in itertools.islice(rows, PREVIEW_LIMIT):
                head.append(row)
                if len(head) % 100 == 0:
                    task.check()
            return Computed(request, policy, (pv.ledger_sheet(head, total, policy.timezone),), None, "数据库")
        if kind == pv.BULLETIN:
            from models.kpi.trends import weekly_bulletin

            bulletin = weekly_bulletin(s, identity, request.week)
            s.commit()  # the indicator rollup refresh
            return Computed(request, policy, pv.bulletin_sheets(bulletin), bulletin, "数据库")
    raise ReportError("unknown", request.kind)


def _stars(s: Session, identity: Identity, request: ReportRequest, policy: Policy) -> Computed:
    quarter = request.quarter
    if request.source == pv.STORED:
        results = store.stored_stars(s, identity, quarter)
        if not results:
            raise ReportError("no_stored", quarter.display)
        town = s.get(Town, identity.town_id).name if town_filter(identity) is not None else None
        rating = pv.stored_rating(quarter, results, policy.stars, town_view=town)
        source = "数据库（已保存的评定结果" + (f"，仅{town}）" if town else "）")
        return Computed(request, policy, pv.star_sheets(rating, policy.stars), rating, source)
    missing: tuple[str, ...] = ()
    problems = 0
    if request.source == pv.FILES:
        if town_filter(identity) is not None:
            raise ReportError("town_rating")
        imported = request.metrics
        if imported is None:
            raise ReportError("no_files")
        workers, problems = list(imported.rows), len(imported.problems)
        source = "、".join(imported.files)
    else:
        found, missing_list = store.star_inputs(s, identity, quarter)  # refuses a town account
        workers, missing, source = found, tuple(missing_list), "数据库"
    if not workers:
        raise ReportError("no_workers", quarter.display)
    try:
        rating = rate_workers(workers, quarter, policy.stars)
    except ValueError as exc:
        raise ReportError("bad_workers", str(exc)) from None
    return Computed(request, policy, pv.star_sheets(rating, policy.stars), rating, source, missing, problems)


def _funding(s: Session, identity: Identity, request: ReportRequest, policy: Policy) -> Computed:
    problems = 0
    if request.source == pv.FILES:
        imported = request.scores
        if imported is None:
            raise ReportError("no_files")
        problems = len(imported.problems)
        missing = [r.code for r in imported.rows if r.grids is None]
        grids = store.grid_counts(s, missing) if missing else {}
        unknown = [c for c in missing if c not in grids]
        if unknown:
            raise ReportError("missing_grids", "、".join(unknown))
        towns = [TownScore(r.code, r.name, r.grids if r.grids is not None else grids[r.code], r.score)
                 for r in imported.rows]
        source = "、".join(request.files) or "考核得分表"
    else:
        towns = list(store.town_scores(s, identity, request.year, policy))
        s.commit()  # the indicator rollup refresh
        source = "数据库"
    if not towns:
        raise ReportError("no_towns", request.year)
    try:
        result = allocate_funding(towns, policy.funding)
    except ValueError as exc:
        raise ReportError("bad_towns", str(exc)) from None
    return Computed(request, policy, (pv.funding_sheet(result),), result, source, problems=problems)


def export_report(engine: Any, identity: Identity, computed: Computed, job: ExportJob,
                  max_rows: int = EXCEL_MAX_ROWS, *, task: Any) -> ExportResult:
    """Write `computed` to `job.path`; a cancelled export leaves no file (and an existing one untouched)."""
    try:
        if computed.request.kind == pv.LEDGER:
            result = _export_ledger(engine, identity, computed, job.path, max_rows, task)
        elif computed.request.kind == pv.BULLETIN and write_bulletin_workbook is not None:
            result = _export_bulletin(computed, job, task)
        else:
            result = _export_table(engine, identity, computed, job.path, task)
        job.result = result
        return result
    finally:
        job.finished.set()


def _export_ledger(engine: Any, identity: Identity, computed: Computed, path: Path, max_rows: int,
                   task: Any) -> ExportResult:
    req = computed.request
    with Session(engine, info={"actor": identity.username}) as s:
        total, rows = store.ledger_rows(s, identity, req.date_from, req.date_to, req.town)

        def progress(done: int, total_: int | None) -> None:
            task.progress(done / total_ if total_ else 1.0, str(done))

        written = write_ledger_report(path, rows, computed.policy, date_from=req.date_from, date_to=req.date_to,
                                      town=req.town, total=total, progress=progress,
                                      cancel=lambda: task.cancelled, max_rows=max_rows)
    return ExportResult(path, written.rows, written.sheets)


def _export_bulletin(computed: Computed, job: ExportJob, task: Any) -> ExportResult:
    """The workbook and (if `job.pdf`) the one-page PDF, as `griddesk report bulletin -o … --pdf …` writes them."""
    from desktop.bulletin_export import write_bulletin_files

    files = write_bulletin_files(computed.result, job.path, job.pdf, computed.policy, computed.source,
                                 progress=task.progress, check=task.check)
    return ExportResult(files.workbook, None, (*(sh.title for sh in computed.sheets), "说明"), pdf=files.pdf)


def _export_table(engine: Any, identity: Identity, computed: Computed, path: Path, task: Any) -> ExportResult:
    """Write to a hidden file beside `path`, then (unless cancelled) store the stars and rename it onto `path`."""
    req, policy, result = computed.request, computed.policy, computed.result
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.xlsx")
    try:
        task.progress(0.2, "")
        if req.kind == pv.STARS:
            write_stars_report(tmp, result, policy, source=computed.source)
        elif req.kind == pv.BONUS:
            write_bonus_report(tmp, req.year, list(result), policy, source=computed.source)
        elif req.kind == pv.FUNDING:
            write_funding_report(tmp, req.year, result, policy, source=computed.source)
        else:
            raise ReportError("unknown", req.kind)
        task.check()
        stored = 0
        if req.kind == pv.STARS and req.source == pv.DATABASE:  # as `griddesk report stars` without --metrics
            with Session(engine, info={"actor": identity.username}) as s:
                row = current_policy_row(s)
                stored = store.store_stars(s, identity, req.quarter, list(result.rows), row.id if row else None)
                task.check()
                s.commit()
        os.replace(tmp, path)
        task.progress(1.0, "")
        return ExportResult(path, None, (*(sh.title for sh in computed.sheets), "说明"), stored)
    finally:
        tmp.unlink(missing_ok=True)
