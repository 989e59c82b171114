"""Camera records and the cameras near a place (radius from the policy)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.cameras import (
    Camera,
    CameraKind,
    camera_problems,
    cameras_near,
    guess_kind,
    haversine_m,
    media_url,
)
from models.policy import IntakePolicy, Policy

# A case in 路桥 (fake coordinates); one degree of latitude is ~111.2 km, so
# 0.001° of latitude is ~111 m and 0.001° of longitude here ~97.6 m.
LON, LAT = 121.3700, 28.5800


def cam(i, dlon=0.0, dlat=0.0, name=None) -> Camera:
    return Camera(i, name or f"cam{i}", LON + dlon, LAT + dlat, "LQ-01-003", f"rtsp://127.0.0.1/{i}", "rtsp")


def test_haversine_known_distances():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(LON, LAT, LON, LAT) == 0
    assert haversine_m(LON, LAT, LON + 0.001, LAT) == pytest.approx(97.65, rel=1e-3)
    assert haversine_m(0, 0, 180, 0) == pytest.approx(math.pi * 6_371_008.8)


def test_cameras_near_sorted_by_distance_within_the_policy_radius():
    cameras = [
        cam(1, dlat=0.002),  # ~222 m
        cam(2, dlon=0.001),  # ~98 m
        cam(3, dlat=0.0028),  # ~311 m: outside 300 m
        cam(4),  # 0 m
        cam(5, dlon=-0.003),  # ~293 m
    ]
    near = cameras_near(cameras, LON, LAT)
    assert [n.camera.id for n in near] == [4, 2, 1, 5]
    assert near[1].distance_m == pytest.approx(97.65, rel=1e-3)
    camera, distance = near[0]  # unpacks as a pair
    assert camera.id == 4 and distance == 0
    assert [n.camera.id for n in cameras_near(cameras, LON, LAT, 100)] == [4, 2]
    assert [n.camera.id for n in cameras_near(cameras, LON, LAT, policy=IntakePolicy(camera_radius_m=400))] == \
        [4, 2, 1, 5, 3]
    assert [n.camera.id for n in cameras_near(cameras, LON, LAT, policy=Policy().intake)] == [4, 2, 1, 5]
    assert cameras_near([], LON, LAT) == []
    with pytest.raises(ValueError):
        cameras_near(cameras, LON, LAT, -1)


def test_equal_distances_are_ordered_by_name():
    cameras = [cam(1, dlat=0.001, name="b"), cam(2, dlat=0.001, name="a"), cam(3, name="c")]
    assert [n.camera.name for n in cameras_near(cameras, LON, LAT, 200)] == ["c", "a", "b"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-0.01, 0.01), st.floats(-0.01, 0.01)), max_size=30),
    st.floats(0, 2000),
)
def test_cameras_near_equals_a_brute_force_filter(offsets, radius):
    cameras = [cam(i, dlon, dlat) for i, (dlon, dlat) in enumerate(offsets)]
    near = cameras_near(cameras, LON, LAT, radius)
    expected = {c.id for c in cameras if haversine_m(LON, LAT, c.lon, c.lat) <= radius}
    assert {n.camera.id for n in near} == expected
    assert [n.distance_m for n in near] == sorted(n.distance_m for n in near)


def test_kinds_urls_and_problems(tmp_path):
    assert guess_kind("rtsp://10.0.0.2/stream1") is CameraKind.RTSP
    assert guess_kind("https://v.example/live/1.m3u8") is CameraKind.HLS
    assert guess_kind("http://127.0.0.1/video.mjpg") is CameraKind.HTTP
    assert guess_kind("/srv/clips/a.mp4") is CameraKind.FILE
    clip = tmp_path / "录像 1.mp4"
    c = Camera("f", "录像", LON, LAT, None, str(clip), "file")
    assert c.kind is CameraKind.FILE
    assert media_url(c) == clip.as_uri() and "%20" in media_url(c)
    assert media_url(cam(1)) == "rtsp://127.0.0.1/1"
    assert camera_problems(cam(1)) == []
    assert camera_problems(c) == []
    bad = Camera("b", " ", 200, -91, None, "http://127.0.0.1/x", "rtsp")
    assert camera_problems(bad) == [
        "name: empty", "lon: out_of_range", "lat: out_of_range",
        "stream_url: scheme_does_not_match_kind (http for rtsp)"]
    assert camera_problems(Camera("e", "e", 0, 0, None, "", "http")) == ["stream_url: empty"]
    with pytest.raises(ValueError):
        Camera("x", "x", 0, 0, None, "rtsp://x", "webrtc")
