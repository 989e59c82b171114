"""Re-extract the UI strings and rebuild the English translation (Qt Linguist).

    python resources/i18n/update.py           # lupdate (keeps the translations) + lrelease
    python resources/i18n/update.py --check   # exit 1 if griddesk_en.ts is out of date

Simplified Chinese is the source language: every `self.tr()` /
`QCoreApplication.translate()` string of every .py file under desktop/ and
widgets/ is a message of griddesk_en.ts. After a run, translate the messages
marked unfinished (Qt Linguist: `pyside6-linguist resources/i18n/griddesk_en.ts`,
or edit the XML), then run this script again so the .qm matches the .ts.
Messages whose source text disappeared are dropped; no line numbers are kept,
so moving code does not change the .ts. tests/desktop/test_translations.py fails
while the .ts is out of date, unfinished, or the .qm was not rebuilt.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TS = HERE / "griddesk_en.ts"
QM = HERE / "griddesk_en.qm"
SOURCE_DIRS = ("desktop", "widgets")
UNDONE = ("unfinished", "obsolete", "vanished")


def tool(name: str) -> str:
    """A PySide6 tool: next to this Python (a venv's bin/), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found (it comes with the PySide6 wheel)")
    return found


def source_files(root: Path = ROOT) -> list[str]:
    """Every .py file under desktop/ and widgets/, relative to `root`, sorted."""
    return sorted(p.relative_to(root).as_posix() for d in SOURCE_DIRS for p in (root / d).rglob("*.py"))


def lupdate(ts: Path, *, root: Path = ROOT, drop_obsolete: bool = True) -> str:
    """Merge the source strings into `ts` (translations kept); returns lupdate's report."""
    cmd = [tool("pyside6-lupdate"), *source_files(root), "-locations", "none", "-source-language", "zh_CN",
           "-target-language", "en_US"]
    if drop_obsolete:
        cmd.append("-no-obsolete")
    cmd += ["-ts", str(ts)]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"lupdate failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def lrelease(ts: Path, qm: Path) -> str:
    done = subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0 or not qm.exists():
        raise RuntimeError(f"lrelease failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str
    translation: str
    state: str  # "" (finished) | "unfinished" | "obsolete" | "vanished"

    @property
    def key(self) -> tuple[str, str, str]:
        return self.context, self.source, self.comment

    def __str__(self) -> str:
        return f"[{self.context}] {self.source!r}" + (f" ({self.comment})" if self.comment else "")


def read_ts(path: Path) -> list[Message]:
    out = []
    for ctx in ET.parse(path).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for m in ctx.iter("message"):
            tr = m.find("translation")
            out.append(Message(name, m.findtext("source") or "", m.findtext("comment") or "",
                               "" if tr is None else (tr.text or ""), "" if tr is None else tr.get("type", "")))
    return out


def check(ts: Path = TS, qm: Path = QM, root: Path = ROOT) -> list[str]:
    """What is wrong with the committed translation (empty: up to date)."""
    if not ts.exists():
        return [f"{ts} is missing: run python resources/i18n/update.py"]
    committed = read_ts(ts)
    problems = [f"not translated: {m}" for m in committed if m.state or not m.translation.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        fresh_ts = Path(tmp) / ts.name
        shutil.copyfile(ts, fresh_ts)
        lupdate(fresh_ts, root=root, drop_obsolete=False)
        fresh = read_ts(fresh_ts)
        known = {m.key for m in committed}
        problems += [f"missing from {ts.name}: {m}" for m in fresh if m.key not in known]
        problems += [f"obsolete in {ts.name}: {m}" for m in fresh
                     if m.key in known and m.state in ("obsolete", "vanished")]
        if not qm.exists():
            problems.append(f"{qm} is missing: run python resources/i18n/update.py")
        else:
            fresh_qm = Path(tmp) / qm.name
            lrelease(ts, fresh_qm)
            if fresh_qm.read_bytes() != qm.read_bytes():
                problems.append(f"{qm.name} is older than {ts.name}: run python resources/i18n/update.py")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report whether the .ts/.qm are up to date")
    args = ap.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or f"{TS.name} is up to date")
        return 1 if problems else 0
    print(lupdate(TS).strip())
    undone = [m for m in read_ts(TS) if m.state or not m.translation.strip()]
    print(lrelease(TS, QM).strip())
    if undone:
        print(f"\n{len(undone)} message(s) still to translate in {TS}:")
        for m in undone:
            print(f"  {m}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
