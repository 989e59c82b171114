"""Demo camera footage: short synthetic clips the demo cameras play (issue 8).

The demo district's cameras have no real streams. Instead of pointing them at a
server that does not exist, `ensure_footage()` renders a few looping clips from
ffmpeg's synthetic sources (test cards, fractals, cellular automata) with the
ffmpeg binary bundled in `imageio-ffmpeg`, each marked "演示画面 DEMO" with its
name and a running clock, into `<data dir>/demo_footage/`. The player loops file
cameras, so a 12-second clip plays all day.

A manifest records each clip's recipe and SHA-256: a clip that is missing, has
been altered or was made by another recipe is rendered again, the others are kept,
so calling this again is cheap. Valid clips are used even where ffmpeg is not
installed. No Qt here; ffmpeg runs as a subprocess with an argument list.
"""

from __future__ import annotations

import dataclasses as dc
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

DIR_NAME = "demo_footage"
MANIFEST = "manifest.json"
RECIPE_VERSION = 1
CLIP_SECONDS = 12.0
WIDTH, HEIGHT, FPS = 480, 270, 25
CJK_LABEL = "演示画面 DEMO"
ASCII_LABEL = "DEMO FOOTAGE"
DEMO_CAMERA_SUFFIX = "(演示)"  # the seed's camera names end with this
PLACEHOLDER_PREFIX = "rtsp://127.0.0.1:8554/demo/"  # where the seed points cameras without footage


@dc.dataclass(frozen=True)
class DemoClip:
    key: str  # ASCII, part of the file name
    title: str  # shown in the picture next to the key
    source: str  # an ffmpeg lavfi graph; {s} and {r} are the size and the rate


CLIPS: tuple[DemoClip, ...] = (
    DemoClip("testsrc2", "测试卡", "testsrc2=s={s}:r={r}"),
    DemoClip("mandelbrot", "分形", "mandelbrot=s={s}:r={r}:maxiter=256"),
    DemoClip("life", "生命游戏", "life=s={s}:r={r}:mold=10:ratio=0.1:death_color=#C83232:life_color=#00FF00"),
    DemoClip("smptebars", "彩条", "smptehdbars=s={s}:r={r}"),
    DemoClip("gradients", "渐变", "gradients=s={s}:r={r}:speed=0.02"),
    DemoClip("sierpinski", "谢尔宾斯基", "sierpinski=s={s}:r={r}"),
    DemoClip("zoneplate", "波带片", "zoneplate=s={s}:r={r}:ku=512:kv=0:kt2=0:kx2=256:xo=-240:kt=11"),
    DemoClip("cellauto", "元胞自动机", "cellauto=s={s}:r={r}:rule=110,colorchannelmixer=rr=0.3:gg=0.8:bb=1"),
    DemoClip("spectrum", "色谱", "colorspectrum=s={s}:r={r}:type=all,hue=H=0.5*t"),
)


class FootageUnavailable(Exception):
    """The clips could not be made (no imageio-ffmpeg, ffmpeg failed, disk full …)."""


@dc.dataclass
class FootageReport:
    directory: Path
    paths: list[Path]  # one per clip, in CLIPS order
    generated: list[str]
    reused: list[str]
    label: str  # "cjk", "ascii" or "none": how the clips made now are marked
    seconds: float

    def __str__(self) -> str:
        return (f"演示监控画面 / demo footage: {len(self.paths)} clips in {self.directory} "
                f"({len(self.generated)} made, {len(self.reused)} kept, label {self.label}) "
                f"in {self.seconds:.1f} s")


@dc.dataclass(frozen=True)
class ClipInfo:
    duration_s: float
    width: int
    height: int
    codec: str
    pix_fmt: str


def footage_dir() -> Path:
    """`<data dir>/demo_footage`, next to the embedded database ($GRIDDESK_HOME overrides)."""
    from models.db import data_dir

    return data_dir() / DIR_NAME


def clip_file(index: int, clip: DemoClip) -> str:
    return f"{index + 1:02d}-{clip.key}.mp4"


# --- fonts -----------------------------------------------------------------------

_FONT_GLOBS = (
    "/usr/share/fonts/**/NotoSansCJK*-Regular.tt[cf]", "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/**/NotoSans*SC*-Regular.otf", "/usr/share/fonts/**/wqy-microhei.ttc",
    "/usr/share/fonts/**/wqy-zenhei.ttc", "/usr/share/fonts/**/DroidSansFallback*.ttf",
    "/usr/local/share/fonts/**/NotoSansCJK*.tt[cf]", "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc", "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf", "C:/Windows/Fonts/simsun.ttc",
)


def find_cjk_font() -> Path | None:
    """A font file with Simplified Chinese glyphs: fontconfig's choice, else a known path."""
    for fc in ("fc-list", "fc-list.exe"):
        exe = shutil.which(fc)
        if not exe:
            continue
        try:
            out = subprocess.run([exe, ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=20,
                                 check=False).stdout
        except (OSError, subprocess.SubprocessError):
            break
        files = [Path(line.split(":")[0].strip()) for line in out.splitlines() if line.strip()]
        files = [f for f in files if f.suffix.lower() in (".ttc", ".ttf", ".otf") and f.is_file()]
        if files:  # a regular sans face first
            return min(files, key=lambda f: ("sans" not in f.name.lower(), "regular" not in f.name.lower(),
                                             "bold" in f.name.lower(), str(f)))
        break
    for pattern in _FONT_GLOBS:
        for name in sorted(glob.glob(pattern, recursive=True)):
            if Path(name).is_file():
                return Path(name)
    return None


# --- ffmpeg --------------------------------------------------------------------


def ffmpeg_exe() -> str:
    """The bundled ffmpeg of imageio-ffmpeg; FootageUnavailable when it is missing."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise FootageUnavailable("imageio-ffmpeg is not installed") from exc
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # RuntimeError when no binary is found for this platform
        raise FootageUnavailable(f"no ffmpeg binary: {exc}") from exc


def _escape(value: str) -> str:
    """`value` as one option value inside a filtergraph (ffmpeg's two escaping levels)."""
    value = value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")
    for ch in "\\',;[]":
        value = value.replace(ch, "\\" + ch)
    return value


def _labels(clip: DemoClip, label: str, font: Path | None) -> str:
    """drawtext filters marking the picture as demo footage ("" for label "none")."""
    if label == "none":
        return ""
    if label == "cjk":
        assert font is not None
        fontopt = f"fontfile={_escape(font.as_posix())}:"
        main, name = CJK_LABEL, f"{clip.title} {clip.key}"
    else:  # fontconfig's default face
        fontopt, main, name = "", ASCII_LABEL, clip.key
    box = "fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6"
    return ",".join([
        f"drawtext={fontopt}expansion=none:text={_escape(main)}:fontsize=26:{box}:x=10:y=h-th-14",
        f"drawtext={fontopt}expansion=none:text={_escape(name)}:fontsize=16:{box}:x=w-tw-12:y=h-th-40",
        f"drawtext={fontopt}text=%{{pts\\\\:hms}}:fontsize=16:{box}:x=w-tw-12:y=h-th-14",
    ])


def _command(exe: str, clip: DemoClip, out: Path, seconds: float, label: str, font: Path | None,
             threads: int) -> list[str]:
    graph = clip.source.format(s=f"{WIDTH}x{HEIGHT}", r=FPS)
    vf = ",".join(f for f in (_labels(clip, label, font), "scale=out_range=tv", "format=yuv420p") if f)
    return [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", graph,
            "-t", f"{seconds:g}", "-vf", vf, "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "28",
            "-g", str(2 * FPS), "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-threads", str(threads),
            "-f", "mp4", str(out)]


def _run(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise FootageUnavailable(f"ffmpeg could not run: {exc}") from exc


def probe(path: Path | str, exe: str | None = None) -> ClipInfo:
    """Duration, size and codec of a clip, read from `ffmpeg -i` (no ffprobe in imageio-ffmpeg)."""
    err = _run([exe or ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], timeout=30).stderr
    dur = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", err)
    video = re.search(r"Stream #\S+.*?: Video: (\w+).*?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)", err)
    if not dur or not video:
        raise ValueError(f"not a playable video: {path}: {err.strip()[-300:]}")
    h, m, s = dur.groups()
    return ClipInfo(int(h) * 3600 + int(m) * 60 + float(s), int(video.group(3)), int(video.group(4)),
                    video.group(1), video.group(2))


# --- the set of clips ------------------------------------------------------------


def _plan(seconds: float, font: Path | None) -> tuple[str, list[str]]:
    """The label this machine can draw and each clip's recipe fingerprint."""
    label = "cjk" if font else "ascii"
    prints = []
    for clip in CLIPS:
        recipe = [RECIPE_VERSION, clip.source, clip.title, clip.key, seconds, WIDTH, HEIGHT, FPS, label,
                  font.name if font else None]
        prints.append(hashlib.sha256(json.dumps(recipe, ensure_ascii=False).encode()).hexdigest()[:16])
    return label, prints


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_manifest(directory: Path) -> dict:
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("clips"), dict) else {"clips": {}}
    except (OSError, ValueError):
        return {"clips": {}}


def _is_valid(directory: Path, name: str, fingerprint: str, manifest: dict) -> bool:
    entry = manifest["clips"].get(name)
    path = directory / name
    if not isinstance(entry, dict) or entry.get("recipe") != fingerprint or not path.is_file():
        return False
    try:
        return path.stat().st_size == entry.get("bytes") and _sha256(path) == entry.get("sha256")
    except OSError:
        return False


def valid_footage(directory: Path | None = None, *, seconds: float = CLIP_SECONDS) -> list[Path] | None:
    """The clips when every one is present and intact (no ffmpeg needed), else None."""
    directory = directory or footage_dir()
    _, prints = _plan(seconds, find_cjk_font())
    manifest = _read_manifest(directory)
    names = [clip_file(i, c) for i, c in enumerate(CLIPS)]
    if all(_is_valid(directory, n, fp, manifest) for n, fp in zip(names, prints)):
        return [directory / n for n in names]
    return None


def ensure_footage(directory: Path | None = None, *, force: bool = False,
                   seconds: float = CLIP_SECONDS) -> FootageReport:
    """Make the clips that are missing or damaged (all of them with `force`); keep the rest.

    Raises FootageUnavailable when a clip is needed and ffmpeg is missing or fails.
    """
    t0 = time.perf_counter()
    directory = directory or footage_dir()
    font = find_cjk_font()
    label, prints = _plan(seconds, font)
    manifest = _read_manifest(directory)
    names = [clip_file(i, c) for i, c in enumerate(CLIPS)]
    todo = [i for i, (n, fp) in enumerate(zip(names, prints))
            if force or not _is_valid(directory, n, fp, manifest)]
    made = label
    if todo:
        exe = ffmpeg_exe()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FootageUnavailable(f"cannot create {directory}: {exc}") from exc
        made = _working_label(exe, label, font)
        workers = max(1, min(2, os.cpu_count() or 1, len(todo)))
        threads = 2 if workers == 1 else 1
        failures = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {i: pool.submit(_render, exe, directory, names[i], CLIPS[i], seconds, made, font, threads)
                       for i in todo}
        for i, future in futures.items():
            try:
                manifest["clips"][names[i]] = {**future.result(), "recipe": prints[i]}
            except FootageUnavailable as exc:
                manifest["clips"].pop(names[i], None)
                failures.append(str(exc))
        manifest["version"] = RECIPE_VERSION
        _write_manifest(directory, manifest)
        if failures:
            raise FootageUnavailable("; ".join(failures))
    else:  # all kept: report how they were marked when made
        made = str(manifest["clips"][names[0]].get("label", label))
    return FootageReport(directory, [directory / n for n in names], [names[i] for i in todo],
                         [n for i, n in enumerate(names) if i not in todo], made, time.perf_counter() - t0)


def _working_label(exe: str, label: str, font: Path | None) -> str:
    """The first of cjk → ascii → none that this ffmpeg renders (a one-frame trial)."""
    ladder = {"cjk": ["cjk", "ascii", "none"], "ascii": ["ascii", "none"]}[label]
    for rung in ladder:
        vf = ",".join(f for f in (_labels(CLIPS[0], rung, font), "format=yuv420p") if f)
        cmd = [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
               f"color=c=gray:s={WIDTH}x{HEIGHT}:r={FPS}", "-frames:v", "1", "-vf", vf, "-f", "null", "-"]
        result = _run(cmd, timeout=60)
        if result.returncode == 0:
            return rung
        log.warning("demo footage: label %s not drawn (%s)", rung, result.stderr.strip()[-200:])
    raise FootageUnavailable("ffmpeg cannot render the demo clips")


def _render(exe: str, directory: Path, name: str, clip: DemoClip, seconds: float, label: str,
            font: Path | None, threads: int) -> dict:
    part = directory / f".{name}.part"
    result = _run(_command(exe, clip, part, seconds, label, font, threads))
    if result.returncode != 0 or not part.is_file() or part.stat().st_size == 0:
        part.unlink(missing_ok=True)
        raise FootageUnavailable(f"ffmpeg failed on {name}: {result.stderr.strip()[-300:]}")
    os.replace(part, directory / name)
    path = directory / name
    return {"bytes": path.stat().st_size, "sha256": _sha256(path), "seconds": seconds, "label": label,
            "source": clip.source}


def _write_manifest(directory: Path, manifest: dict) -> None:
    tmp = directory / f".{MANIFEST}.part"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, directory / MANIFEST)


# --- the demo cameras ------------------------------------------------------------


def footage_for(index: int, paths: list[Path]) -> str:
    """The stream URL (a file path) of the `index`-th demo camera: the clips in turn."""
    return str(paths[index % len(paths)])


def _demo_camera_ids(conn) -> list[int]:
    from models.schema import Camera, District

    if not conn.scalar(sa.select(sa.func.count()).select_from(District).where(District.is_demo.is_(True))):
        return []
    return list(conn.scalars(sa.select(Camera.id).where(Camera.name.endswith(DEMO_CAMERA_SUFFIX))
                             .order_by(Camera.id)))


def count_demo_cameras(engine: Engine) -> int:
    """How many cameras of a demo district were made by the seed (0 in a real database)."""
    with engine.connect() as conn:
        return len(_demo_camera_ids(conn))


def point_demo_cameras(engine: Engine, paths: list[Path]) -> int:
    """Point the demo district's demo cameras at the clips, in id order (neighbours differ).

    Only cameras named by the seed (ending "(演示)") in a demo district are touched;
    cameras an administrator added keep their streams. Returns how many were updated.
    """
    from models.schema import Camera

    if not paths:
        raise ValueError("no clips")
    with engine.begin() as conn:
        rows = [{"cid": cid, "url": footage_for(i, paths)} for i, cid in enumerate(_demo_camera_ids(conn))]
        if rows:
            table = Camera.__table__
            conn.execute(table.update().where(table.c.id == sa.bindparam("cid"))
                         .values(stream_url=sa.bindparam("url"), kind="file"), rows)
    return len(rows)
