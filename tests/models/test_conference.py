"""Conference providers without Qt: rooms, templates, the url and command providers
(started against a page and a program on 127.0.0.1 / this machine), entry points."""

from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from models import conference as conf
from models.conference import (
    CommandProvider,
    ConferenceError,
    ConferenceLaunch,
    ConferenceRequest,
    InvalidConfig,
    LaunchKind,
    Participant,
    UrlProvider,
    available_providers,
    derive_room,
    discover_providers,
    origin_of,
    permission_allowed,
    start_conference,
    validate_config,
)

REQUEST = ConferenceRequest.for_case(
    "LQ-2024-000123",
    grid_code="LQ-01-003",
    town_code="LQ-01",
    user="值班员 王",
    participants=[("张三", "grid_worker", "138 0000 0001"), ("李四", "town", ""), ("城管局", "department", "")],
)


def codes(problems) -> list[str]:
    return [p.code for p in problems]


# ------------------------------------------------------------------ rooms and requests
def test_room_from_a_case_code():
    assert derive_room("LQ-2024-000123") == "gd-lq-2024-000123"
    assert derive_room("LQ-01-003", "grid") == "gd-grid-lq-01-003"
    assert derive_room("LQ-01", "town") == "gd-town-lq-01"
    assert REQUEST.room == "gd-lq-2024-000123"


def test_room_of_a_code_that_loses_characters_keeps_them_apart():
    a, b = derive_room("路桥/2024 7"), derive_room("路桥-2024-7")
    assert a.startswith("gd-2024-7-") and b.startswith("gd-2024-7-")
    assert a != b
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in a)
    assert len(derive_room("X" * 200)) <= 3 + 48 + 7
    assert derive_room("街道") != derive_room("社区")
    with pytest.raises(ValueError):
        derive_room("  ")
    with pytest.raises(ValueError):
        derive_room("A", "village")


def test_request_coerces_participants_and_formats_values():
    assert REQUEST.participants[0] == Participant("张三", "grid_worker", "138 0000 0001")
    values = REQUEST.values()
    assert values["participants"] == "张三:grid_worker:138 0000 0001,李四:town:,城管局:department:"
    assert values["case"] == "LQ-2024-000123" and values["town"] == "LQ-01"
    odd = ConferenceRequest("r", participants=[("a,b", "x:y")])
    assert odd.values()["participants"] == "a b:x y:"
    with pytest.raises(ValueError):
        ConferenceRequest("")


# ------------------------------------------------------------------ url provider
def test_url_template_checks_on_save():
    def problems(**config):
        return codes(UrlProvider.validate(config))

    assert problems(template="https://meet.example.org/{room}?case={case}") == []
    assert problems(template="") == ["empty_template"]
    assert problems() == ["empty_template"]
    assert problems(template="https://meet.example.org/{rooom}") == ["unknown_placeholder"]
    assert problems(template="https://meet.example.org/{}") == ["unknown_placeholder"]
    assert problems(template="https://meet.example.org/{room.__class__}") == ["unknown_placeholder"]
    assert problems(template="https://meet.example.org/{room") == ["unbalanced_braces"]
    assert problems(template="https://meet.example.org/room}") == ["unbalanced_braces"]
    assert problems(template="https://meet.example.org/{room!r}") == ["format_spec"]
    assert problems(template="https://meet.example.org/{room:>9}") == ["format_spec"]
    assert problems(template="ftp://meet.example.org/{room}") == ["bad_scheme"]
    assert problems(template="javascript:alert({room})") == ["bad_scheme"]
    assert problems(template="file:///tmp/{room}.html") == ["bad_scheme"]
    assert problems(template="meet.example.org/{room}") == ["bad_scheme"]
    assert problems(template="https:///{room}") == ["no_host"]
    assert problems(template="https://{room}.example.org/") == ["placeholder_in_origin"]
    assert problems(template="https://meet.example.org:{room}/") == ["bad_address"]
    assert problems(template="https://meet.example.org/{room} x") == ["whitespace"]
    assert problems(template="https://m.example.org/{room}", open_in="tab") == ["bad_open_in"]
    assert problems(template="https://m.example.org/{room}", extra_origins="https://x") == ["not_a_list"]
    assert problems(template="https://m.example.org/{room}", extra_origins=["ftp://x"]) == ["bad_scheme"]
    assert problems(template="https://m.example.org/{room}", extra_origins=["https://x/path"]) == ["bad_origin"]
    assert problems(template="https://m.example.org/{room}", tempalte="x") == ["unknown_key"]
    assert codes(UrlProvider.validate("https://x/{room}")) == ["not_a_mapping"]
    with pytest.raises(InvalidConfig) as info:
        UrlProvider({"template": "https://x/{nope}"})
    assert info.value.problems[0].field == "template"


def test_url_provider_builds_the_exact_url_with_quoted_values():
    provider = UrlProvider({"template": "https://meet.example.org/{room}?case={case}&grid={grid}&town={town}"
                                        "&user={user}&p={participants}#{{literal}}"})
    launch = provider.start(REQUEST)
    assert launch.kind is LaunchKind.EMBEDDED_URL
    assert launch.url == (
        "https://meet.example.org/gd-lq-2024-000123?case=LQ-2024-000123&grid=LQ-01-003&town=LQ-01"
        "&user=%E5%80%BC%E7%8F%AD%E5%91%98%20%E7%8E%8B"
        "&p=%E5%BC%A0%E4%B8%89%3Agrid_worker%3A138%200000%200001%2C%E6%9D%8E%E5%9B%9B%3Atown%3A%2C"
        "%E5%9F%8E%E7%AE%A1%E5%B1%80%3Adepartment%3A#{literal}"
    )
    assert launch.allowed_origins == ("https://meet.example.org",)
    assert launch.provider == "url"


def test_url_values_cannot_break_out_of_their_place():
    provider = UrlProvider({"template": "https://meet.example.org/r/{room}?u={user}"})
    evil = ConferenceRequest("a/../../admin?x=1#", user="x&admin=1 ")
    assert provider.start(evil).url == "https://meet.example.org/r/a%2F..%2F..%2Fadmin%3Fx%3D1%23?u=x%26admin%3D1%20"


def test_browser_launch_and_extra_origins():
    launch = UrlProvider({"template": "https://bbb.example.org/join?m={room}", "open_in": "browser"}).start(REQUEST)
    assert launch.kind is LaunchKind.BROWSER_URL and launch.allowed_origins == ()
    launch = UrlProvider({"template": "http://Meet.Example.org:80/{room}",
                          "extra_origins": ["https://media.example.org:8443", "HTTPS://MEET.example.org:443"]}
                         ).start(REQUEST)
    assert launch.allowed_origins == ("http://meet.example.org", "https://media.example.org:8443",
                                      "https://meet.example.org")


def test_origins_and_permission_decisions():
    assert origin_of("HTTP://127.0.0.1:8080/a?b#c") == "http://127.0.0.1:8080"
    assert origin_of("https://例子.example/x") == "https://xn--fsqu00a.example"
    assert origin_of("http://[::1]:81/") == "http://[::1]:81"
    with pytest.raises(ValueError):
        origin_of("about:blank")
    allowed = ["http://127.0.0.1:8080"]
    assert permission_allowed("http://127.0.0.1:8080/", "camera_microphone", allowed)
    assert permission_allowed("http://127.0.0.1:8080", "camera", allowed)
    assert permission_allowed("http://127.0.0.1:8080", "microphone", allowed)
    assert not permission_allowed("http://127.0.0.1:8081", "camera", allowed)
    assert not permission_allowed("http://localhost:8080", "camera", allowed)
    assert not permission_allowed("https://127.0.0.1:8080", "camera", allowed)
    assert not permission_allowed("http://127.0.0.1:8080", "geolocation", allowed)
    assert not permission_allowed("http://127.0.0.1:8080", "screen", allowed)
    assert not permission_allowed("http://127.0.0.1:8080", "camera", [])
    assert not permission_allowed("garbage", "camera", allowed)


@pytest.fixture
def local_page():
    """A page server on 127.0.0.1 that records the raw request lines."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = b"<html><body>conference</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_url_provider_against_a_local_page(local_page):
    import urllib.request

    port, seen = local_page
    template = f"http://127.0.0.1:{port}/meet/{{room}}?case={{case}}&user={{user}}"
    assert validate_config("url", {"template": template}) == []
    launch = start_conference("url", {"template": template}, REQUEST)
    assert launch.url == f"http://127.0.0.1:{port}/meet/gd-lq-2024-000123?case=LQ-2024-000123" \
                         "&user=%E5%80%BC%E7%8F%AD%E5%91%98%20%E7%8E%8B"
    with urllib.request.urlopen(launch.url, timeout=10) as reply:
        assert reply.status == 200
    assert seen == ["/meet/gd-lq-2024-000123?case=LQ-2024-000123&user=%E5%80%BC%E7%8F%AD%E5%91%98%20%E7%8E%8B"]
    assert launch.allowed_origins == (f"http://127.0.0.1:{port}",)


# ------------------------------------------------------------------ command provider
def argv_script(directory: Path, exit_code: int = 0) -> tuple[Path, Path]:
    """An executable that writes its arguments (JSON) to a file and exits with `exit_code`."""
    out = directory / "argv.json"
    script = directory / "fake_client.py"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, sys
        with open({str(out)!r}, "w", encoding="utf-8") as f:
            json.dump(sys.argv[1:], f, ensure_ascii=False)
        sys.exit({exit_code})
        """), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script, out


ARG_TEMPLATES = ["--room", "{room}", "--case={case}", "--title=会商 {case} {grid}", "{participants}",
                 "--user", "{user}", "$(touch pwned)", "; touch pwned2", "{{literal}}", "'{town}'", ""]


def expected_args(tmp_path: Path) -> list[str]:
    return ["--room", "gd-lq-2024-000123", "--case=LQ-2024-000123", "--title=会商 LQ-2024-000123 LQ-01-003",
            "张三:grid_worker:138 0000 0001,李四:town:,城管局:department:", "--user", "值班员 王",
            "$(touch pwned)", "; touch pwned2", "{literal}", "'LQ-01'", ""]


def test_command_checks_on_save(tmp_path):
    script, _ = argv_script(tmp_path)
    plain = tmp_path / "not_executable"
    plain.write_text("x")

    def problems(**config):
        return codes(CommandProvider.validate(config))

    assert problems(program=str(script), args=ARG_TEMPLATES) == []
    assert problems(program="") == ["empty_program"]
    assert problems(args=[]) == ["empty_program"]
    assert problems(program=str(tmp_path / "missing")) == ["program_not_found"]
    assert problems(program=str(plain)) == ["program_not_found"]
    assert problems(program=str(tmp_path)) == ["program_not_found"]
    assert problems(program=f"{script} --join") == ["program_looks_like_command_line"]
    assert problems(program="/bin/sh", args=["-c", "client {room}"]) == ["program_is_shell"]
    assert problems(program="bash") == ["program_is_shell"]
    assert problems(program="cmd.exe") == ["program_is_shell"]
    assert problems(program="C:/clients/join.bat") == ["program_is_shell"]
    assert problems(program=sys.executable, args=["-c", "import client; client.join('{user}')"]) == [
        "placeholder_in_code"]
    assert problems(program=sys.executable, args=["-c", "print({{1}})", "{user}"]) == []
    assert problems(program=sys.executable, args=["client.py", "--room", "{room}"]) == []
    assert problems(program="/opt/{room}/client") == ["placeholder_in_program"]
    assert problems(program=str(script), args="--room {room}") == ["not_a_list"]
    assert problems(program=str(script), args=["{room", "x}", "{who}", 5]) == [
        "unbalanced_braces", "unbalanced_braces", "unknown_placeholder", "not_text"]
    assert [p.field for p in CommandProvider.validate({"program": str(script), "args": ["ok", "{x}"]})] == ["args[1]"]


def test_command_provider_runs_a_local_program_with_the_exact_arguments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script, out = argv_script(tmp_path)
    launch = start_conference("command", {"program": str(script), "args": ARG_TEMPLATES}, REQUEST)
    assert launch.kind is LaunchKind.PROCESS
    assert launch.argv == (str(script), *expected_args(tmp_path))
    subprocess.run(list(launch.argv), check=True, timeout=60)  # a list: no shell, as QProcess does
    assert json.loads(out.read_text(encoding="utf-8")) == expected_args(tmp_path)
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert launch.log_payload()["argv"] == list(launch.argv)


def test_command_program_found_on_path_and_gone_at_start(tmp_path, monkeypatch):
    script, _ = argv_script(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    provider = CommandProvider({"program": "fake_client.py", "args": ["{room}"]})
    assert provider.start(REQUEST).argv == (str(script), "gd-lq-2024-000123")
    script.unlink()
    with pytest.raises(ConferenceError):
        provider.start(REQUEST)


# ------------------------------------------------------------------ launches, registry
def test_launch_shape_is_checked():
    with pytest.raises(ValueError):
        ConferenceLaunch(LaunchKind.PROCESS, "x", REQUEST)
    with pytest.raises(ValueError):
        ConferenceLaunch(LaunchKind.EMBEDDED_URL, "x", REQUEST)
    with pytest.raises(ValueError):
        ConferenceLaunch("teleport", "x", REQUEST, url="https://x")
    launch = ConferenceLaunch("browser_url", "x", REQUEST, url="https://x/")
    payload = launch.log_payload()
    assert payload["launch"] == "browser_url" and payload["room"] == REQUEST.room
    assert payload["participants"][0] == {"name": "张三", "role": "grid_worker", "phone": "138 0000 0001"}
    json.dumps(payload, ensure_ascii=False)  # plain data


def test_builtin_providers_and_unknown_kinds():
    providers = available_providers()
    assert providers["url"] is UrlProvider and providers["command"] is CommandProvider
    assert codes(validate_config("teleport", {})) == ["unknown_provider"]
    with pytest.raises(ConferenceError):
        start_conference("teleport", {}, REQUEST)


PLUGIN = '''
from models.conference import ConferenceLaunch, ConferenceProvider, Problem


class AcmeProvider(ConferenceProvider):
    """A vendor's client: `acme-client --join <room> --as <user>`."""

    kind = "acme"

    @classmethod
    def validate(cls, config):
        return [] if config.get("client") else [Problem("client", "empty_program")]

    def start(self, request):
        return ConferenceLaunch("process", self.kind, request,
                                argv=(self.config["client"], "--join", request.room, "--as", request.user))


class Wrong:
    kind = "wrong"


class Misnamed(AcmeProvider):
    kind = "other"


class Shadow(AcmeProvider):
    kind = "url"


class BadValidate(AcmeProvider):
    kind = "badvalidate"

    @classmethod
    def validate(cls, config):
        raise RuntimeError("boom")
'''


def install_plugin(tmp_path: Path, monkeypatch, entry_points: str, source: str = PLUGIN,
                   module: str = "griddesk_test_plugin") -> None:
    """A real distribution on sys.path: `<module>.py` plus `*.dist-info` with entry_points.txt."""
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, module, raising=False)


GOOD_AND_BAD = """\
[griddesk.conference]
acme = griddesk_test_plugin:AcmeProvider
wrong = griddesk_test_plugin:Wrong
other_name = griddesk_test_plugin:Misnamed
url = griddesk_test_plugin:Shadow
missing = griddesk_test_plugin_nowhere:Thing
badvalidate = griddesk_test_plugin:BadValidate
"""


def test_entry_point_provider_is_discovered_and_used(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, GOOD_AND_BAD)
    providers, problems = discover_providers()
    assert providers["acme"].__name__ == "AcmeProvider"
    assert providers["url"] is UrlProvider  # a plug-in cannot replace a built-in
    assert "wrong" not in providers and "other_name" not in providers and "missing" not in providers
    text = "\n".join(problems)
    for name in ("wrong", "other_name", "url", "missing"):
        assert f"{name} = griddesk_test_plugin" in text
    assert "acme" in available_providers()

    assert codes(validate_config("acme", {})) == ["empty_program"]
    assert codes(validate_config("badvalidate", {})) == ["validator_failed"]
    script, out = argv_script(tmp_path)
    launch = start_conference("acme", {"client": str(script)}, REQUEST)
    assert launch.provider == "acme"
    assert launch.argv == (str(script), "--join", "gd-lq-2024-000123", "--as", "值班员 王")
    subprocess.run(list(launch.argv), check=True, timeout=60)
    assert json.loads(out.read_text(encoding="utf-8")) == ["--join", "gd-lq-2024-000123", "--as", "值班员 王"]


def test_plugin_returning_something_else_is_refused(tmp_path, monkeypatch):
    source = PLUGIN + '''

class Liar(AcmeProvider):
    kind = "liar"

    def start(self, request):
        return "rm -rf /"
'''
    install_plugin(tmp_path, monkeypatch, "[griddesk.conference]\nliar = griddesk_test_plugin:Liar\n", source)
    with pytest.raises(ConferenceError):
        start_conference("liar", {"client": "x"}, REQUEST)


def test_models_import_without_qt():
    code = ("import sys; import models.conference, models.cameras; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]; "
            "assert not bad, bad")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=60)


def test_problem_is_a_string_with_a_code():
    problem = conf.Problem("template", "unknown_placeholder", "{x}")
    assert problem == "template: unknown_placeholder ({x})"
    assert isinstance(problem, str) and problem.code == "unknown_placeholder" and problem.field == "template"
