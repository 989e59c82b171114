"""Benchmark of the map view (issue 5). Not a test: run it and read the numbers.

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu" \\
        python bench/bench_map.py [--repeat 5] [--draw-repeat 3] [--grids 25000] [--cases 5000]

Measures, in one run and on FAKE data (widgets/map/demo.py):

1. first draw of 622 and of N grids: page load to the painted frame (cold: a new view),
   and pushing the grids into a page that is already up (warm);
2. recolouring N grids and moving M case markers incrementally (one runJavaScript
   call with only the changes) against a full re-render and reload of the same state:
   a. folium-native: folium builds the whole page (GeoJson with a style function,
      FastMarkerCluster) in Python, the page is loaded and painted, same view and size;
   b. the view's own page reloaded and the whole state pushed again;
   the four are measured in interleaved rounds (the machine is shared and noisy); an
   incremental time is the median of three consecutive updates in its round (steady
   state), and each ratio is the median of the per-round ratios, with their range;
   a move is also split into the Python side (diff, packing, the runJavaScript call),
   the page's update (GD.lastApply, performance.now()) and the rest: the script's way
   to the page, the painted frame and the acknowledgement back;
3. memory: RSS and PSS of the QtWebEngine processes this process started, with the
   view holding N grids and M cases.

Every duration ends at a painted frame: the page answers two requestAnimationFrame
callbacks after the change (Leaflet's canvas redraws in the first).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from widgets.map.schemes import register_schemes  # noqa: E402

register_schemes()

import folium  # noqa: E402
from folium.plugins import FastMarkerCluster  # noqa: E402
from PySide6.QtCore import QEvent, QUrl  # noqa: E402
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile  # noqa: E402
from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from widgets.map import assets, demo  # noqa: E402
from widgets.map.config import MapConfig  # noqa: E402
from widgets.map.legend import make_scale  # noqa: E402
from widgets.map.schemes import SCHEME_NAME, MapSchemeHandler  # noqa: E402
from widgets.map.testing import js, spin, wait_for, wait_painted, wait_ready  # noqa: E402
from widgets.map.view import MapView  # noqa: E402

SIZE = (1280, 800)


# ---------- memory ----------
def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def _descendants(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        for c in _children(todo.pop()):
            seen.append(c)
            todo.append(c)
    return seen


def _kib(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def webengine_memory() -> dict:
    """RSS and PSS (MiB) of the QtWebEngine processes below this process, and our own RSS."""
    pids = [p for p in _descendants(os.getpid()) if "QtWebEngine" in _comm(p)]
    return {
        "processes": len(pids),
        "rss_mib": sum(_kib(p, "status", "VmRSS:") for p in pids) / 1024,
        "pss_mib": sum(_kib(p, "smaps_rollup", "Pss:") for p in pids) / 1024,
        "python_rss_mib": _kib(os.getpid(), "status", "VmRSS:") / 1024,
    }


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


# ---------- helpers ----------
def new_view() -> MapView:
    v = MapView(MapConfig(center=(121.8, 28.9), zoom=11, animate=False, theme="dark"))
    v.resize(*SIZE)
    v.show()
    return v


def close(widget) -> None:
    widget.close()
    widget.deleteLater()
    app = QApplication.instance()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    spin(200)


def median_time(fn, repeat: int) -> float:
    return statistics.median(fn() for _ in range(repeat))


def cold_first_draw(grids: dict) -> tuple[float, MapView]:
    t0 = time.perf_counter()
    v = new_view()
    v.set_grids(grids)
    v.set_grid_measure("open_cases")
    wait_ready(v, 120000)
    wait_painted(v, 120000)
    return time.perf_counter() - t0, v


def warm_first_draw(v: MapView, grids: dict) -> float:
    t0 = time.perf_counter()
    v.set_grids(grids)
    v.set_grid_measure("open_cases")
    wait_painted(v, 120000)
    return time.perf_counter() - t0


# ---------- folium-native full re-render ----------
_CASE_CALLBACK = """
function (row) {
    var colors = {green: '#43a047', yellow: '#fdd835', red: '#e53935', none: '#9e9e9e'};
    var icon = L.divIcon({className: 'gd-case', iconSize: [16, 16],
        html: '<b style="display:block;width:100%;height:100%;border-radius:50%;background:' + colors[row[2]] + '"></b>'});
    return L.marker(new L.LatLng(row[0], row[1]), {icon: icon});
}
"""


def folium_full_page(grids: dict, values: dict, cases: list[dict]) -> str:
    """The whole state rendered by folium alone, as a naive re-render would do it."""
    scale = make_scale("open_cases", values)
    m = folium.Map(location=[28.9, 121.8], zoom_start=11, tiles=None, prefer_canvas=True, maxZoom=20)
    w, s_, e, n = demo.bbox_of(grids)
    m.fit_bounds([[s_, w], [n, e]], padding=(30, 30), max_zoom=17)  # the same view as the MapView
    m.default_js = [assets.JS[0]]
    m.default_css = [assets.CSS[0]]
    folium.GeoJson(
        grids,
        style_function=lambda f: {
            "fillColor": scale.color_of(values.get(f["properties"]["id"])),
            "color": "#cfd8dc", "weight": 0.8, "fillOpacity": 0.6,
        },
    ).add_to(m)
    fmc = FastMarkerCluster([[c["lat"], c["lon"], c["light"]] for c in cases], callback=_CASE_CALLBACK)
    fmc.default_js = [assets.JS[1]]
    fmc.default_css = [assets.CSS[1], assets.CSS[2]]
    fmc.add_to(m)
    return m.get_root().render()


class FoliumPage:
    """A bare QWebEngineView serving one folium page through the gdmap scheme."""

    def __init__(self) -> None:
        self.profile = QWebEngineProfile()
        self.handler = MapSchemeHandler(self.profile)
        self.profile.installUrlSchemeHandler(SCHEME_NAME, self.handler)
        self.view = QWebEngineView()
        self.page = QWebEnginePage(self.profile, self.view)
        self.view.setPage(self.page)
        self.profile.setParent(self.view)
        self.view.resize(*SIZE)
        self.view.show()
        self.loaded = False
        self.page.loadFinished.connect(lambda ok: setattr(self, "loaded", ok))

    def show(self, html: str) -> None:
        self.handler.page_html = html.encode()
        self.loaded = False
        self.page.load(QUrl(assets.PAGE_URL))
        if not wait_for(lambda: self.loaded, 180000, 5):
            raise TimeoutError("folium page did not load")
        box = {}
        self.page.runJavaScript(
            "window.__p = 0; requestAnimationFrame(function(){ requestAnimationFrame(function(){ window.__p = 1; }); }); 1"
        )
        ok = wait_for(lambda: (self.page.runJavaScript("window.__p", 0, lambda r: box.__setitem__("p", r)), box.get("p") == 1)[1], 60000, 2)
        if not ok:
            raise TimeoutError("folium page did not paint")


def full_folium(fp: FoliumPage, grids, values, cases) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    html = folium_full_page(grids, values, cases)
    t1 = time.perf_counter()
    fp.show(html)
    t2 = time.perf_counter()
    return t2 - t0, t1 - t0, len(html.encode())


def reload_own(v: MapView) -> float:
    got = []
    v.ready.connect(lambda: got.append(1))
    t0 = time.perf_counter()
    v.page.triggerAction(QWebEnginePage.WebAction.Reload)
    if not wait_for(lambda: got, 120000, 2):
        raise TimeoutError("reload: no ready")
    wait_painted(v, 120000)
    dt = time.perf_counter() - t0
    v.ready.disconnect()
    return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grids", type=int, default=25000)
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5, help="rounds of incremental vs full")
    ap.add_argument("--draw-repeat", type=int, default=3)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rnd = random.Random(1)
    out = []

    def say(line: str) -> None:
        out.append(line)
        print(line, flush=True)

    say(f"map benchmark — {os.cpu_count()} cores, PySide6/QtWebEngine offscreen, FAKE data, medians")

    # warm-up (first QtWebEngine start is slower than any later one)
    t, v = cold_first_draw(demo.fake_grids(10))
    close(v)

    small = demo.fake_grids(622)
    big = demo.fake_grids(args.grids, cell=0.0012)
    cases = demo.fake_cases(args.cases, demo.bbox_of(big))

    m0 = None
    for label, fc in (("622", small), (f"{args.grids:,}", big)):
        colds = []
        for _ in range(args.draw_repeat):
            t, v = cold_first_draw(fc)
            colds.append(t)
            if m0 is None:
                m0 = webengine_memory()
            close(v)
        v = new_view()
        wait_ready(v, 60000)
        warm = median_time(lambda: warm_first_draw(v, fc), args.draw_repeat)
        close(v)
        say(f"first draw, {label:>6} grids: cold (new view → painted) {statistics.median(colds) * 1000:7.0f} ms; "
            f"warm (push into a ready page) {warm * 1000:7.0f} ms")

    # the live view: N grids + M cases
    _, v = cold_first_draw(big)
    v.set_cases(cases)
    wait_painted(v, 120000)
    spin(500)
    mem = webengine_memory()

    values = {f["properties"]["id"]: f["properties"]["open_cases"] for f in big["features"]}

    def recolour() -> float:
        new = {k: rnd.randint(0, 30) for k in values}
        t0 = time.perf_counter()
        n = v.update_grid_values(new)
        wait_painted(v, 60000)
        dt = time.perf_counter() - t0
        assert n > len(values) * 0.8, n
        values.update(new)
        return dt

    splits = []  # per move (s): Python, the page's update, of which its clusters, the rest

    def move() -> float:
        moved = [dict(c, lon=c["lon"] + rnd.uniform(-5e-4, 5e-4), lat=c["lat"] + rnd.uniform(-5e-4, 5e-4)) for c in cases]
        t0 = time.perf_counter()
        v.upsert_cases(moved)  # diff, pack, runJavaScript (which returns at once)
        t1 = time.perf_counter()
        wait_painted(v, 60000)
        dt = time.perf_counter() - t0
        cases[:] = moved
        a = js(v, "JSON.stringify(GD.lastApply)")  # after the clock stopped
        update = (a["data"] + a["clusters"]) / 1000
        splits.append((t1 - t0, update, a["clusters"] / 1000, dt - (t1 - t0) - update))
        return dt

    # Rounds interleave the incremental updates and the full re-renders, so that both see
    # the same load on a shared machine; each round gives its own ratios.
    fp = FoliumPage()
    rounds = []
    fp.view.hide()
    for _ in range(args.repeat):
        # steady state: the median of three consecutive updates (the first one after a
        # reload also rebuilds the outline cache and warms the JIT)
        r_inc = median_time(recolour, 3)
        m_inc = median_time(move, 3)
        fp.view.show()
        full, render, size = full_folium(fp, big, values, cases)
        fp.view.hide()
        own = reload_own(v)
        rounds.append((r_inc, m_inc, full, render, size, own))
    st = js(v, "GD.state()")
    assert st["grids"] == args.grids and st["cases"] == args.cases, st
    close(v)
    close(fp.view)

    def med(k):
        return statistics.median(r[k] for r in rounds)

    def ratio(num, den):
        rs = sorted(r[num] / r[den] for r in rounds)
        return f"{statistics.median(rs):5.1f}x (rounds {rs[0]:.1f}-{rs[-1]:.1f}x)"

    say(f"incremental recolour of {args.grids:,} grids:        {med(0) * 1000:7.0f} ms")
    say(f"incremental move of {args.cases:,} case markers:       {med(1) * 1000:7.0f} ms")
    def split(k):
        return statistics.median(x[k] for x in splits) * 1000

    say(f"  a move, split (medians): Python diff+pack+send {split(0):.0f} ms, page update {split(1):.0f} ms "
        f"(clusters {split(2):.0f} ms), script transfer + paint + acknowledgement {split(3):.0f} ms")
    say(f"full folium re-render + reload ({args.grids:,} grids + {args.cases:,} cases): {med(2) * 1000:7.0f} ms "
        f"(folium/Python render {med(3) * 1000:.0f} ms, page {rounds[0][4] / 1e6:.1f} MB)")
    say(f"own page reload + whole state pushed again:        {med(5) * 1000:7.0f} ms")
    say(f"ratio recolour vs folium re-render+reload: {ratio(2, 0)}   vs own reload: {ratio(5, 0)}")
    say(f"ratio move     vs folium re-render+reload: {ratio(2, 1)}   vs own reload: {ratio(5, 1)}")
    say(f"memory, empty-ish view (10 grids):   QtWebEngine processes {m0['processes']}, RSS {m0['rss_mib']:.0f} MiB, "
        f"PSS {m0['pss_mib']:.0f} MiB")
    say(f"memory, {args.grids:,} grids + {args.cases:,} cases: QtWebEngine processes {mem['processes']}, RSS {mem['rss_mib']:.0f} MiB, "
        f"PSS {mem['pss_mib']:.0f} MiB; Python process RSS {mem['python_rss_mib']:.0f} MiB")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
