"""Settings: every variable validated, one clear line per mistake, and the README kept in step."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from app.settings import (
    DEFAULT_DATABASE_URL,
    VARIABLES,
    Settings,
    SettingsError,
    load_settings,
)
from tests.cli import run_app

README = Path(__file__).resolve().parent.parent / "README.md"
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "abc123"}


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.port == 3000
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.log_level, settings.log_format) == ("INFO", "text")
    assert not settings.oauth_enabled
    assert not settings.socket_mode


def test_values_are_read_and_normalised() -> None:
    settings = load_settings(
        {
            **GOOD,
            "DATABASE_URL": "postgres://u:p@db:5432/recip",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "PORT": "8080",
            "LOG_LEVEL": "debug",
            "LOG_FORMAT": "JSON",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/recip"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.port == 8080
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("DATABASE_URL", "postgresql+psycopg2://localhost/x"),
        ("DATABASE_URL", "postgresql+psycopg://localhost"),
        ("DATABASE_URL", "sqlite://"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("SLACK_SIGNING_SECRET", "has spaces in it"),
        ("SLACK_API_URL", "slack.com/api"),
        ("PORT", "http"),
        ("PORT", "0"),
        ("PORT", "70000"),
        ("PORT", "¹"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("PUBLIC_URL", "reciprocity.example.com"),
        ("PUBLIC_URL", "ftp://reciprocity.example.com"),
        ("PUBLIC_URL", "https://reciprocity.example.com/?next=1"),
        ("PUBLIC_URL", "https://reciprocity.example.com/bot"),
        ("PUBLIC_URL", "https://reciprocity.example.com#top"),
        ("PUBLIC_URL", "https://user:pw@reciprocity.example.com"),
        ("PUBLIC_URL", "https://reciprocity.example.com:99999"),
        ("PUBLIC_URL", "https://"),
    ],
)
def test_a_malformed_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**GOOD, variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)
    assert "\n" not in str(caught.value)


def test_public_url_defaults_to_this_machine_on_the_port() -> None:
    assert load_settings({}).public_url == "http://localhost:3000"
    assert load_settings({"PORT": "8080"}).public_url == "http://localhost:8080"
    # Settings built in code (tests, the demo) get the same default.
    assert Settings(database_url=DEFAULT_DATABASE_URL, port=4000).public_url == (
        "http://localhost:4000"
    )


@pytest.mark.parametrize(
    ("raw", "public_url"),
    [
        ("https://reciprocity.example.com", "https://reciprocity.example.com"),
        ("https://reciprocity.example.com/", "https://reciprocity.example.com"),
        ("http://10.0.0.5:3000", "http://10.0.0.5:3000"),
    ],
)
def test_public_url_is_kept_without_a_trailing_slash(raw: str, public_url: str) -> None:
    assert load_settings({"PUBLIC_URL": raw}).public_url == public_url


def test_secrets_are_never_echoed() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"SLACK_BOT_TOKEN": "xoxp-secret-value-123"})
    assert "secret-value" not in str(caught.value)


@pytest.mark.parametrize(
    "missing", ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET"]
)
def test_oauth_needs_all_three_variables(missing: str) -> None:
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_STATE_SECRET": "t"}
    del oauth[missing]
    with pytest.raises(SettingsError) as caught:
        load_settings(oauth)
    assert caught.value.variable == missing


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": "abc"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_running_needs_slack_credentials(environ: dict[str, str], variable: str) -> None:
    settings = load_settings(environ)
    with pytest.raises(SettingsError) as caught:
        settings.require_slack_credentials()
    assert caught.value.variable == variable


def test_credentials_suffice_for_http_and_for_socket_mode() -> None:
    load_settings(GOOD).require_slack_credentials()
    load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    ).require_slack_credentials()


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_app(*args, env={"PATH": "/usr/bin:/bin", **env}, cwd=cwd)


@pytest.mark.parametrize(
    ("args", "env", "variable"),
    [
        (["run"], {}, "SLACK_BOT_TOKEN"),
        (["run"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        (["run"], {**GOOD, "PORT": "eighty"}, "PORT"),
        (["migrate"], {"DATABASE_URL": "oracle://scott@db/x"}, "DATABASE_URL"),
        (["migrate"], {"DATABASE_URL": "postgresql+psycopg://127.0.0.1:1/none"}, "DATABASE_URL"),
    ],
)
def test_the_cli_stops_with_one_line_and_exit_2(
    args: list[str], env: dict[str, str], variable: str, tmp_path: Path
) -> None:
    result = _cli(args, env, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("reciprocity:")]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_readme_configuration_table_matches_the_settings_module() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.+?) \| (.+?) \|$", README.read_text(), re.MULTILINE)
    documented = {name: (default, expects) for name, default, expects in rows}
    declared = {
        v.name: (f"`{v.default}`" if v.default else "(unset)", v.expects) for v in VARIABLES
    }
    assert documented == declared
