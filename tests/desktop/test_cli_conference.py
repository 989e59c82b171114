"""`griddesk conference ...` and `griddesk camera ...` through `desktop.cli.main` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desktop.cli import main
from models.enums import UserRole
from models.schema import AuditLog, Camera, ConferenceProviderRow
from tests.factories import add_user, grid_centre, make_db, town_id

URL_CONFIG = '{"template": "http://127.0.0.1:9/meet/{room}?u={user}", "open_in": "embedded"}'


@pytest.fixture
def db(db_url, monkeypatch):
    engine = make_db(db_url)
    with Session(engine, info={"actor": "test"}) as s:
        add_user(s, "duty", UserRole.DUTY_OFFICER)
        add_user(s, "admin2", UserRole.ADMIN)
        add_user(s, "town2", UserRole.TOWN_OFFICER, town=town_id(s, 2))
        s.commit()
    monkeypatch.setenv("GRIDDESK_PASSWORD", "secret1")
    yield db_url, engine
    engine.dispose()


def run(url, capsys, *argv):
    code = main(["--db", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def providers(engine):
    with Session(engine) as s:
        return [(r.name, r.kind, json.loads(r.config), r.is_default)
                for r in s.scalars(sa.select(ConferenceProviderRow).order_by(ConferenceProviderRow.name))]


def test_add_list_default_remove(db, capsys, tmp_path):
    url, engine = db
    code, out, _ = run(url, capsys, "conference", "providers")
    assert code == 0 and "no conference provider configured" in out
    code, out, _ = run(url, capsys, "conference", "provider", "add", "会商平台", "--kind", "url",
                       "--config", URL_CONFIG)
    assert code == 0 and out.strip() == "provider 会商平台 (url) saved as the default"
    config_file = tmp_path / "client.json"
    config_file.write_text(json.dumps({"program": "python3", "args": ["client.py", "--room", "{room}"]}),
                           encoding="utf-8")
    code, out, _ = run(url, capsys, "conference", "provider", "add", "client", "--kind", "command",
                       "--config", f"@{config_file}")
    assert code == 0 and out.strip() == "provider client (command) saved"
    assert providers(engine) == [
        ("client", "command", {"program": "python3", "args": ["client.py", "--room", "{room}"]}, False),
        ("会商平台", "url", json.loads(URL_CONFIG), True)]
    code, out, _ = run(url, capsys, "conference", "providers", "--json")
    listed = json.loads(out)
    assert [(p["name"], p["default"], p["enabled"]) for p in listed] == [("会商平台", True, True),
                                                                         ("client", False, True)]
    code, out, _ = run(url, capsys, "conference", "provider", "default", "client")
    assert code == 0
    code, out, _ = run(url, capsys, "conference", "providers")
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["client", "command", "default"]
    assert lines[1].split()[:3] == ["会商平台", "url", "-"]
    code, out, _ = run(url, capsys, "conference", "provider", "remove", "client")
    assert code == 0 and out.strip() == "provider client removed"
    assert [p[0] for p in providers(engine)] == ["会商平台"]
    code, _, err = run(url, capsys, "conference", "provider", "remove", "client")
    assert code == 1 and "no conference provider 'client'" in err
    with Session(engine) as s:
        actors = set(s.scalars(sa.select(AuditLog.actor).where(AuditLog.entity == "conference_provider")))
    assert actors == {"system"}


def test_bad_configurations_are_refused_with_their_problems(db, capsys):
    url, engine = db
    code, _, err = run(url, capsys, "conference", "provider", "add", "x", "--kind", "url", "--config", "{template:")
    assert code == 1 and "--config is not valid JSON" in err
    code, _, err = run(url, capsys, "conference", "provider", "add", "x", "--kind", "url", "--config", '["a"]')
    assert code == 1 and "must be a JSON object" in err
    code, _, err = run(url, capsys, "conference", "provider", "add", "x", "--kind", "url",
                       "--config", '{"template": "ftp://127.0.0.1/{room}/{who}", "open_in": "tab"}')
    assert code == 1 and "provider 'x' (url) not saved:" in err
    assert "template: unknown_placeholder ({who})" in err and "open_in: bad_open_in" in err
    code, _, err = run(url, capsys, "conference", "provider", "add", "x", "--kind", "command",
                       "--config", '{"program": "/bin/sh", "args": ["-c", "client {room}"]}')
    assert code == 1 and "program: program_is_shell" in err
    code, _, err = run(url, capsys, "conference", "provider", "add", "x", "--kind", "teleport", "--config", "{}")
    assert code == 1 and "kind: unknown_provider (teleport)" in err
    code, _, err = run(url, capsys, "conference", "provider", "add", "x", "--kind", "url",
                       "--config", "@/nonexistent.json")
    assert code == 1 and "cannot read /nonexistent.json" in err
    assert providers(engine) == []


def test_only_administrators_change_providers(db, capsys):
    url, engine = db
    code, _, err = run(url, capsys, "conference", "provider", "add", "p", "--kind", "url", "--config", URL_CONFIG,
                       "--user", "duty")
    assert code == 1 and "only an administrator" in err and "duty_officer" in err
    code, _, err = run(url, capsys, "conference", "provider", "add", "p", "--kind", "url", "--config", URL_CONFIG,
                       "--user", "town2")
    assert code == 1 and "only an administrator" in err
    assert providers(engine) == []
    code, out, _ = run(url, capsys, "conference", "provider", "add", "p", "--kind", "url", "--config", URL_CONFIG,
                       "--user", "admin2")
    assert code == 0 and providers(engine)[0][0] == "p"
    code, _, err = run(url, capsys, "conference", "provider", "remove", "p", "--user", "duty")
    assert code == 1 and "only an administrator" in err
    code, _, err = run(url, capsys, "conference", "provider", "default", "p", "--user", "duty")
    assert code == 1 and "only an administrator" in err
    assert providers(engine)[0][0] == "p"
    with Session(engine) as s:
        actors = set(s.scalars(sa.select(AuditLog.actor).where(AuditLog.entity == "conference_provider")))
    assert actors == {"admin2"}


def test_a_stored_provider_that_no_longer_holds_is_flagged(db, capsys, tmp_path):
    url, engine = db
    client = tmp_path / "vc-client"
    client.write_text("#!/bin/true\n", encoding="utf-8")
    client.chmod(0o755)
    code, _, _ = run(url, capsys, "conference", "provider", "add", "vc", "--kind", "command",
                     "--config", json.dumps({"program": str(client), "args": ["{room}"]}))
    assert code == 0
    code, out, _ = run(url, capsys, "conference", "providers", "--json")
    assert json.loads(out)[0]["problems"] == []
    client.unlink()  # the client was uninstalled
    code, out, _ = run(url, capsys, "conference", "providers")
    assert "default,invalid" in out and f"! program: program_not_found ({client})" in out
    code, out, _ = run(url, capsys, "conference", "providers", "--json")
    assert json.loads(out)[0]["problems"] == [f"program: program_not_found ({client})"]


def test_wrong_password_is_refused(db, capsys, monkeypatch):
    url, engine = db
    monkeypatch.setenv("GRIDDESK_PASSWORD", "wrong-password")
    code, _, err = run(url, capsys, "conference", "provider", "add", "p", "--kind", "url", "--config", URL_CONFIG,
                       "--user", "admin2")
    assert code == 1 and "login refused" in err
    assert providers(engine) == []


def test_cameras_add_and_list(db, capsys):
    url, engine = db
    lon, lat = grid_centre(0)
    code, out, _ = run(url, capsys, "camera", "add", "路口东", "--lon", str(lon), "--lat", str(lat),
                       "--url", "rtsp://127.0.0.1:8554/east")
    assert code == 0 and "grid 331004001001001" in out and "(rtsp)" in out  # grid found from the point
    code, out, _ = run(url, capsys, "camera", "add", "路口西", "--lon", str(lon + 0.001), "--lat", str(lat),
                       "--url", "http://127.0.0.1:8080/west.m3u8", "--grid", "331004001001002")
    assert code == 0 and "(hls)" in out and "grid 331004001001002" in out
    far_lon, far_lat = grid_centre(3)
    code, out, _ = run(url, capsys, "camera", "add", "镇二", "--lon", str(far_lon), "--lat", str(far_lat),
                       "--url", "/srv/clips/town2.mp4")
    assert code == 0 and "(file)" in out
    with Session(engine) as s:
        rows = {c.name: (c.grid_code, c.kind, c.town_id) for c in s.scalars(sa.select(Camera))}
        assert rows["路口东"][:2] == ("331004001001001", "rtsp") and rows["路口东"][2] == town_id(s, 1)
        assert rows["镇二"][2] == town_id(s, 2)

    code, out, _ = run(url, capsys, "camera", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == sorted(["路口东", "路口西", "镇二"])
    code, out, _ = run(url, capsys, "camera", "list", "--near", f"{lon},{lat}", "--radius", "200", "--json")
    near = json.loads(out)
    assert [c["name"] for c in near] == ["路口东", "路口西"]  # nearest first; 镇二 is km away
    assert near[0]["distance_m"] == 0.0 and 90 < near[1]["distance_m"] < 100  # 0.001° of longitude at 28.5°N
    code, out, _ = run(url, capsys, "camera", "list", "--near", f"{lon},{lat}", "--radius", "50")
    assert "路口东" in out and "路口西" not in out
    code, out, _ = run(url, capsys, "camera", "list", "--near", f"{lon},{lat}", "--json")  # policy: 300 m
    assert len(json.loads(out)) == 2
    # a town officer sees their own town's cameras only
    code, out, _ = run(url, capsys, "camera", "list", "--user", "town2", "--json")
    assert [c["name"] for c in json.loads(out)] == ["镇二"]


def test_camera_refusals(db, capsys):
    url, engine = db
    lon, lat = grid_centre(0)
    code, _, err = run(url, capsys, "camera", "add", "x", "--lon", str(lon), "--lat", str(lat),
                       "--url", "rtsp://127.0.0.1/x", "--user", "duty")
    assert code == 1 and "only an administrator" in err
    code, _, err = run(url, capsys, "camera", "add", "x", "--lon", "200", "--lat", str(lat),
                       "--url", "http://127.0.0.1/x.mp4", "--kind", "rtsp")
    assert code == 1 and "lon: out_of_range" in err and "scheme_does_not_match_kind" in err
    code, _, err = run(url, capsys, "camera", "add", "x", "--lon", str(lon), "--lat", str(lat),
                       "--url", "rtsp://127.0.0.1/x", "--grid", "999")
    assert code == 1 and "no grid with code 999" in err
    code, _, err = run(url, capsys, "camera", "list", "--radius", "10")
    assert code == 1 and "--radius needs --near" in err
    code, _, err = run(url, capsys, "camera", "list", "--near", f"{lon},{lat}", "--radius", "-1")
    assert code == 1 and "bad radius" in err
    with pytest.raises(SystemExit):
        main(["--db", url, "camera", "list", "--near", "121.3"])
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Camera)) == 0


def test_help_is_bilingual(capsys):
    for argv in (["conference", "--help"], ["conference", "provider", "add", "--help"], ["camera", "--help"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "会商" in out and "provider" in out and "监控" in out
