"""Settings: environment over nianbao.toml over defaults; bad values are one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.objectstore import LocalObjectStore, S3ObjectStore, open_store
from storage.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No NIANBAO_* from the caller's shell, and a cwd without nianbao.toml."""
    for name in list(os.environ):
        if name.startswith("NIANBAO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_need_nothing_running() -> None:
    settings = load_settings()
    assert settings.resolved_database_url == "sqlite:///var/nianbao.db"
    assert settings.resolved_object_store == str(Path("var") / "objects")
    assert isinstance(open_store(settings), LocalObjectStore)


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_DATABASE_URL", "postgresql+psycopg://nb@db.internal:5432/nianbao")
    monkeypatch.setenv("NIANBAO_OBJECT_STORE", "s3://originals/prod")
    monkeypatch.setenv("NIANBAO_S3_ENDPOINT", "minio.internal:9000")
    monkeypatch.setenv("NIANBAO_ALERT_URLS", "dingtalk://token, wecombot://key")
    settings = load_settings()
    assert settings.resolved_database_url == "postgresql+psycopg://nb@db.internal:5432/nianbao"
    assert settings.alert_urls == ["dingtalk://token", "wecombot://key"]
    store = open_store(settings)
    assert isinstance(store, S3ObjectStore)
    assert (store.bucket, store.prefix, store.endpoint) == ("originals", "prod", "minio.internal:9000")
    assert store.describe() == "S3 http://minio.internal:9000 bucket originals/prod"


def test_environment_overrides_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "nianbao.toml").write_text(
        'database_url = "sqlite:///from-toml.db"\ns3_region = "cn-north-1"\n'
    )
    assert load_settings().resolved_database_url == "sqlite:///from-toml.db"
    monkeypatch.setenv("NIANBAO_DATABASE_URL", "sqlite:///from-env.db")
    settings = load_settings()
    assert settings.resolved_database_url == "sqlite:///from-env.db"
    assert settings.s3_region == "cn-north-1"


def test_s3_endpoint_given_as_url_sets_the_scheme() -> None:
    store = open_store(Settings(object_store="s3://bkt", s3_endpoint="https://s3.example.cn:443/"))
    assert isinstance(store, S3ObjectStore)
    assert (store.endpoint, store.secure) == ("s3.example.cn:443", True)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "NIANBAO_DATABASE_URL",
            "mysql://root@localhost/nb",
            "invalid setting database_url: NIANBAO_DATABASE_URL",
        ),
        (
            "NIANBAO_OBJECT_STORE",
            "ftp://files/nb",
            "invalid setting object_store: NIANBAO_OBJECT_STORE must be",
        ),
        (
            "NIANBAO_OBJECT_STORE",
            "s3://",
            "invalid setting object_store: NIANBAO_OBJECT_STORE needs a bucket",
        ),
        ("NIANBAO_CRAWL_CONCURRENCY_PER_DOMAIN", "99", "invalid setting crawl_concurrency_per_domain:"),
    ],
)
def test_bad_setting_is_one_line_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_alert_urls_accept_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_ALERT_URLS", '["json://hooks.example/a,b", "mailto://ops@example.cn"]')
    assert load_settings().alert_urls == ["json://hooks.example/a,b", "mailto://ops@example.cn"]
