"""FAKE data for the map demo, tests and benchmark — nothing here is a real place's data.

The area is a made-up lattice of slightly irregular grids near (121.40 E, 28.57 N);
names carry "演示"/"DEMO". `main()` is the stand-alone demo:

    python -m widgets.map.view [--wall] [--light] [--en] [--gcj02]
                               [--mbtiles FILE | --xyz URL | --demo-tiles]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sqlite3
import sys
from pathlib import Path

ORIGIN = (121.36, 28.54)  # south-west corner of the fake area (lon, lat)
CELL = 0.0045  # degrees per grid cell (~0.45 km)


def _lattice(nx: int, ny: int, origin=ORIGIN, cell=CELL, seed: int = 7):
    rnd = random.Random(seed)
    pts = {}
    for j in range(ny + 1):
        for i in range(nx + 1):
            jx = 0 if i in (0, nx) else rnd.uniform(-0.22, 0.22) * cell
            jy = 0 if j in (0, ny) else rnd.uniform(-0.22, 0.22) * cell
            pts[i, j] = (round(origin[0] + i * cell + jx, 7), round(origin[1] + j * cell + jy, 7))
    return pts


def _dims(count: int) -> tuple[int, int]:
    nx = max(1, math.ceil(math.sqrt(count * 1.25)))
    ny = max(1, math.ceil(count / nx))
    return nx, ny


def _ring(pts, i0: int, j0: int, i1: int, j1: int) -> list[list[float]]:
    """The outline of the lattice block [i0, i1] x [j0, j1] (closed, counter-clockwise)."""
    ring = [pts[i, j0] for i in range(i0, i1 + 1)]
    ring += [pts[i1, j] for j in range(j0 + 1, j1 + 1)]
    ring += [pts[i, j1] for i in range(i1 - 1, i0 - 1, -1)]
    ring += [pts[i0, j] for j in range(j1 - 1, j0 - 1, -1)]
    return [list(p) for p in ring]


def _area_km2(ring) -> float:
    lat0 = math.radians(ring[0][1])
    kx, ky = 111.32 * math.cos(lat0), 110.57
    s = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        s += (x1 * kx) * (y2 * ky) - (x2 * kx) * (y1 * ky)
    return abs(s) / 2


def fake_grids(count: int = 622, *, seed: int = 7, origin=ORIGIN, cell=CELL) -> dict:
    """A FeatureCollection of `count` fake grids with values for the four measures."""
    nx, ny = _dims(count)
    pts = _lattice(nx, ny, origin, cell, seed)
    rnd = random.Random(seed + 1)
    feats = []
    for k in range(count):
        i, j = k % nx, k // nx
        ring = _ring(pts, i, j, i + 1, j + 1)
        # hot spots make the choropleth look like something
        hot = math.exp(-(((i - nx * 0.3) / (nx * 0.18)) ** 2 + ((j - ny * 0.6) / (ny * 0.2)) ** 2))
        hot += 0.7 * math.exp(-(((i - nx * 0.75) / (nx * 0.12)) ** 2 + ((j - ny * 0.25) / (ny * 0.15)) ** 2))
        open_cases = max(0, int(rnd.gauss(hot * 14, 1.5)))
        red = min(open_cases, int(open_cases * rnd.uniform(0, 0.4)))
        area = _area_km2(ring)
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "id": k + 1,
                    "code": f"DEMO{k + 1:05d}",
                    "name": f"演示网格{k + 1:03d}",
                    "open_cases": open_cases,
                    "red_cases": red,
                    "closure_rate": round(min(1.0, max(0.3, rnd.gauss(0.93 - hot * 0.25, 0.05))), 3),
                    "cases_per_km2": round(open_cases / area, 2) if area else 0.0,
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def fake_boundaries(count: int = 622, *, seed: int = 7, origin=ORIGIN, cell=CELL) -> tuple[dict, dict]:
    """(towns, villages) FeatureCollections outlining blocks of the same fake lattice."""
    nx, ny = _dims(count)
    ny_full = count // nx  # only rows that are complete
    pts = _lattice(nx, ny, origin, cell, seed)
    towns, villages = [], []
    tx, ty = [0, nx // 2, nx], [0, ny_full // 2, ny_full]
    n = 0
    for a in range(2):
        for b in range(2):
            n += 1
            i0, i1, j0, j1 = tx[a], tx[a + 1], ty[b], ty[b + 1]
            towns.append(_feature(_ring(pts, i0, j0, i1, j1), n, f"演示镇{n}"))
            im, jm = (i0 + i1) // 2, (j0 + j1) // 2
            for k, (vi0, vi1, vj0, vj1) in enumerate(((i0, im, j0, jm), (im, i1, j0, jm), (i0, im, jm, j1), (im, i1, jm, j1))):
                if vi1 > vi0 and vj1 > vj0:
                    villages.append(_feature(_ring(pts, vi0, vj0, vi1, vj1), n * 10 + k, f"演示村{n}-{k + 1}"))
    return _fc(towns), _fc(villages)


def _feature(ring, fid: int, name: str) -> dict:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {"id": fid, "name": name}}


def _fc(features) -> dict:
    return {"type": "FeatureCollection", "features": features}


def bbox_of(fc: dict) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for f in fc["features"]:
        for x, y in f["geometry"]["coordinates"][0]:
            xs.append(x)
            ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


def fake_cases(n: int, bbox, *, seed: int = 11) -> list[dict]:
    rnd = random.Random(seed)
    w, s, e, nn = bbox
    lights = ["green"] * 6 + ["yellow"] * 3 + ["red"] * 2 + ["none"]
    kinds = ["占道经营", "乱堆物料", "路灯损坏", "井盖缺失", "违章搭建", "垃圾满溢", "噪声扰民"]
    out = []
    for k in range(n):
        kind = rnd.choice(kinds)
        out.append(
            {
                "id": k + 1,
                "code": f"DEMO-{k + 1:06d}",
                "lon": round(rnd.uniform(w, e), 6),
                "lat": round(rnd.uniform(s, nn), 6),
                "light": rnd.choice(lights),
                "title": f"{kind}（演示）",
                "card": {"类别": kind, "来源": "演示数据", "网格": f"演示网格{rnd.randint(1, 622):03d}"},
            }
        )
    return out


def fake_cameras(n: int, bbox, *, seed: int = 13) -> list[dict]:
    rnd = random.Random(seed)
    w, s, e, nn = bbox
    return [
        {"id": k + 1, "name": f"演示摄像头{k + 1:02d}", "lon": rnd.uniform(w, e), "lat": rnd.uniform(s, nn), "online": rnd.random() > 0.15}
        for k in range(n)
    ]


def fake_tracks(n: int, bbox, *, seed: int = 17, day_start: float = 1_767_225_600.0) -> list[dict]:
    """Random-walk patrols of two hours from 08:00 (+08:00) of a fake day (epoch seconds)."""
    rnd = random.Random(seed)
    w, s, e, nn = bbox
    tracks = []
    for k in range(n):
        lon, lat = rnd.uniform(w + (e - w) * 0.2, e - (e - w) * 0.2), rnd.uniform(s + (nn - s) * 0.2, nn - (nn - s) * 0.2)
        heading = rnd.uniform(0, 2 * math.pi)
        t = day_start + rnd.uniform(0, 1800)
        pts = []
        for _ in range(120):
            pts.append([round(lon, 6), round(lat, 6), t])
            heading += rnd.gauss(0, 0.35)
            lon = min(e, max(w, lon + math.cos(heading) * 0.00045))
            lat = min(nn, max(s, lat + math.sin(heading) * 0.00045))
            t += 60
        tracks.append({"id": k + 1, "name": f"演示网格员{k + 1}", "points": pts})
    return tracks


def fake_workers(tracks: list[dict]) -> list[dict]:
    return [
        {"id": t["id"], "name": t["name"], "lon": t["points"][-1][0], "lat": t["points"][-1][1], "online": True}
        for t in tracks
    ]


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def fake_mbtiles(path: str | Path, bbox, zooms=range(11, 17), *, margin: int = 1) -> Path:
    """An MBTiles file of drawn FAKE tiles (pale paper, blocks, a tile label). Needs a QGuiApplication."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

    path = Path(path)
    if path.exists():
        path.unlink()
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
    )
    w, s, e, n = bbox
    zl = list(zooms)
    db.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [("name", "GridDesk FAKE demo tiles"), ("format", "png"), ("minzoom", str(min(zl))), ("maxzoom", str(max(zl))),
         ("bounds", f"{w},{s},{e},{n}")],
    )
    for z in zl:
        x0, y0 = lonlat_to_tile(w, n, z)
        x1, y1 = lonlat_to_tile(e, s, z)
        for x in range(x0 - margin, x1 + margin + 1):
            for y in range(y0 - margin, y1 + margin + 1):
                img = QImage(256, 256, QImage.Format.Format_RGB32)
                img.fill(QColor("#e8e4d8") if (x + y) % 2 else QColor("#e2ddcf"))
                p = QPainter(img)
                p.setPen(QPen(QColor("#c9c2ae"), 1))
                for k in range(0, 256, 64):
                    p.drawLine(k, 0, k, 256)
                    p.drawLine(0, k, 256, k)
                p.setPen(QPen(QColor("#ffffff"), 6))
                p.drawLine(0, 128 + (x * 37 % 50), 256, 100 + (y * 53 % 60))
                p.setPen(QColor("#a89f88"))
                f = QFont()
                f.setPixelSize(11)
                p.setFont(f)
                p.drawText(img.rect().adjusted(4, 4, -4, -4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, f"DEMO tile {z}/{x}/{y}")
                p.end()
                ba = QByteArray()
                buf = QBuffer(ba)
                buf.open(QIODevice.OpenModeFlag.WriteOnly)
                img.save(buf, "PNG")
                buf.close()
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, bytes(ba.data())))
    db.commit()
    db.close()
    return path


def main(argv: list[str] | None = None) -> int:
    """Show the map with FAKE data. GRIDDESK_DEMO_AUTOQUIT_MS=N quits N ms after ready (tests)."""
    ap = argparse.ArgumentParser(prog="python -m widgets.map.view", description="GridDesk map demo (FAKE data)")
    ap.add_argument("--wall", action="store_true", help="wall mode")
    ap.add_argument("--light", action="store_true", help="light theme")
    ap.add_argument("--en", action="store_true", help="English UI")
    ap.add_argument("--gcj02", action="store_true", help="the basemap is GCJ-02")
    ap.add_argument("--grids", type=int, default=622)
    ap.add_argument("--mbtiles", help="an MBTiles basemap file")
    ap.add_argument("--xyz", help="an XYZ tile URL template")
    ap.add_argument("--demo-tiles", action="store_true", help="draw a FAKE MBTiles basemap in a temp dir")
    ap.add_argument("--size", default="1200x800", help="window size WxH")
    ap.add_argument("--screenshot", metavar="PNG", help="save a screenshot once drawn, then quit")
    args = ap.parse_args(argv)

    from .schemes import register_schemes

    register_schemes()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .config import Basemap, MapConfig
    from .view import MapView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    grids = fake_grids(args.grids)
    towns, villages = fake_boundaries(args.grids)
    bbox = bbox_of(grids)
    basemap = Basemap.none()
    if args.mbtiles:
        basemap = Basemap.mbtiles(args.mbtiles)
    elif args.xyz:
        basemap = Basemap.xyz(args.xyz)
    elif args.demo_tiles:
        import tempfile

        basemap = Basemap.mbtiles(fake_mbtiles(Path(tempfile.gettempdir()) / "griddesk-demo-tiles.mbtiles", bbox))
    cfg = MapConfig(
        basemap=basemap, gcj02=args.gcj02, theme="light" if args.light else "dark", language="en" if args.en else "zh",
        wall_mode=args.wall, center=((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2), zoom=13,
    )
    view = MapView(cfg)
    view.setWindowTitle("GridDesk map — DEMO (fake data)")
    view.resize(*(int(v) for v in args.size.split("x")))
    view.set_boundaries(towns, villages)
    view.set_grids(grids)
    view.set_grid_measure("open_cases")
    cases = fake_cases(400, bbox)
    view.set_cases(cases)
    view.set_cameras(fake_cameras(25, bbox))
    tracks = fake_tracks(4, bbox)
    view.set_tracks(tracks)
    view.set_workers(fake_workers(tracks))
    for sig in ("gridClicked", "caseClicked", "cameraClicked", "coordinatePicked", "viewLocked"):
        getattr(view, sig).connect(lambda *a, _s=sig: print(_s, *a, flush=True))

    rnd = random.Random(3)

    def churn() -> None:  # a little live traffic: lights change, a case arrives
        for c in rnd.sample(cases, 5):
            c["light"] = rnd.choice(["green", "yellow", "red"])
        view.upsert_cases(cases)

    timer = QTimer(view)
    timer.timeout.connect(churn)
    timer.start(2000)

    def on_ready() -> None:
        print("ready", flush=True)
        if args.screenshot:
            timer.stop()
            view.seek_tracks(tracks[0]["points"][0][2] + 5400)
            view.set_view(*cfg.center, 14)
            view.select_grid(grids["features"][len(grids["features"]) // 2 + 8]["properties"]["id"])
            QTimer.singleShot(2500, shoot)
            return
        view.play_tracks(300)
        quit_ms = os.environ.get("GRIDDESK_DEMO_AUTOQUIT_MS")
        if quit_ms:
            QTimer.singleShot(int(quit_ms), app.quit)

    def shoot() -> None:
        from .testing import grab

        grab(view).save(args.screenshot)
        print("saved", args.screenshot, flush=True)
        app.quit()

    view.ready.connect(on_ready)
    view.show()
    code = app.exec()
    view.deleteLater()
    from PySide6.QtCore import QEvent

    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
