"""The database side of `griddesk report …` (see desktop/cli_reports.py):
opens the database of `--db`, acts as `--user`, and calls models.assessment.store."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy.orm import Session

from desktop.cli import CliError
from desktop.cli_session import identity_for
from models.assessment import Quarter
from models.assessment import store
from models.policy import Policy


@lru_cache(maxsize=4)
def _engine(url: str | None):
    from desktop.context import open_engine
    import argparse

    return open_engine(argparse.Namespace(db=url))


def _session(args) -> Session:
    return Session(_engine(getattr(args, "db", None)), info={"actor": getattr(args, "user", None) or "cli"})


def _identity(s: Session, args):
    return identity_for(s, args)


def load_policy(args) -> Policy:
    from models.policy_store import load_policy as _load

    with _session(args) as s:
        return _load(s)


def load_star_inputs(args, quarter: Quarter):
    with _session(args) as s:
        try:
            workers, missing = store.star_inputs(s, _identity(s, args), quarter)
        except store.AssessmentError as exc:
            raise CliError(str(exc)) from exc
    if missing:
        print(f"注意: {len(missing)} 名专职网格员缺少 {quarter} 指标, 未参与评定 / {len(missing)} full-time workers have "
              f"no metrics for {quarter} and were left out: {', '.join(missing[:10])}"
              f"{' …' if len(missing) > 10 else ''}", file=sys.stderr)
    return workers


def store_star_results(args, quarter: Quarter, rows) -> None:
    from models.policy_store import current_policy_row

    with _session(args) as s:
        row = current_policy_row(s)
        try:
            store.store_stars(s, _identity(s, args), quarter, list(rows), row.id if row else None)
        except store.AssessmentError as exc:
            raise CliError(str(exc)) from exc
        s.commit()


def load_quarter_results(args, year: int):
    with _session(args) as s:
        return store.quarter_results(s, _identity(s, args), year)


def load_town_scores(args, year: int):
    from models.policy_store import load_policy as _load

    with _session(args) as s:
        result = store.town_scores(s, _identity(s, args), year, _load(s))
        s.commit()  # indicator rollup refresh
        return result


def load_grid_counts(args, town_codes: list[str]) -> dict[str, int]:
    with _session(args) as s:
        return store.grid_counts(s, town_codes)


def iter_ledger_rows(args, date_from: dt.date, date_to: dt.date, town: str | None) -> tuple[int | None, Iterable[dict]]:
    s = _session(args)
    try:
        total, rows = store.ledger_rows(s, _identity(s, args), date_from, date_to, town)
    except store.AssessmentError as exc:
        s.close()
        raise CliError(str(exc)) from exc

    def stream():
        try:
            yield from rows
        finally:
            s.close()

    return total, stream()
