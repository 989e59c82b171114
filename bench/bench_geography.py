"""Micro benchmark of models.geo (not a test): generation, validation, location.

    .venv/bin/python bench/bench_geography.py [--seed N] [--calls N]

Prints seconds for the Luqiao- and city-scale demo maps, validating the city's
~25,000 grids (from bytes, as the importer reads a file, and from parsed JSON),
and GridLocator.locate per call.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.geo.demo_geography import feature_collection, generate_district, random_point_in  # noqa: E402
from models.geo.locate import GridLocator  # noqa: E402
from models.geo.validate import validate_geojson_bytes, validate_grids  # noqa: E402


def timed(label: str, fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    print(f"{label:<44} {time.perf_counter() - start:8.3f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--calls", type=int, default=20_000)
    args = ap.parse_args()

    luqiao = timed("generate luqiao", generate_district, args.seed, "luqiao")
    print(f"  {len(luqiao.grids)} grids, {len(luqiao.villages)} villages, {luqiao.area_km2:.1f} km²")
    city = timed("generate city", generate_district, args.seed, "city")
    print(f"  {len(city.grids)} grids, {len(city.villages)} villages, {city.area_km2:.0f} km²")
    print(f"  peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    fc = feature_collection(city)
    raw = json.dumps(fc, ensure_ascii=False).encode("utf-8")
    print(f"  city GeoJSON {len(raw) / 1e6:.1f} MB")
    res = timed(f"validate {len(city.grids)} grids (bytes, incl. JSON)", validate_geojson_bytes, raw)
    assert res.ok, res.problems[:5]
    res = timed(f"validate {len(city.grids)} grids (parsed)", validate_grids, fc)
    assert res.ok

    loc = timed("build GridLocator (city)", GridLocator, ((g.code, g.polygon) for g in city.grids))
    rng = random.Random(1)
    sample = [city.grids[rng.randrange(len(city.grids))] for _ in range(args.calls)]
    points = [random_point_in(g.polygon, rng) for g in sample]
    start = time.perf_counter()
    hits = [loc.locate(x, y) for x, y in points]
    per_call = (time.perf_counter() - start) / len(points)
    assert hits == [g.code for g in sample]
    print(f"{'locate() per call (city)':<44} {per_call * 1e6:8.1f} µs")
    start = time.perf_counter()
    many = loc.locate_many([p[0] for p in points], [p[1] for p in points])
    per_point = (time.perf_counter() - start) / len(points)
    assert many == hits
    print(f"{'locate_many() per point (city)':<44} {per_point * 1e6:8.1f} µs")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
