"""Typed configuration, validated at start: a wrong key or value names the key and the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator


class ConfigError(Exception):
    pass


def default_content_root() -> Path:
    """The checkout this package lives in, when it has content/; else the working directory."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "content" / "laws").is_dir() else Path.cwd()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramConfig(_Section):
    token: SecretStr | None = Field(None, description="bot token; prefer the environment variable")
    token_env: str = "LAWBOT_TELEGRAM_TOKEN"
    base_url: str | None = Field(None, description="Bot API base URL, e.g. http://127.0.0.1:8081/bot")
    base_file_url: str | None = None
    poll_timeout: int = Field(10, ge=0, le=60)
    connect_timeout: float = Field(10.0, gt=0, le=120)

    def resolved_token(self) -> str | None:
        env = os.environ.get(self.token_env, "").strip()
        if env:
            return env
        return self.token.get_secret_value() if self.token else None


class StorageConfig(_Section):
    path: Path | None = Field(None, description="SQLite file; default <data_dir>/lawbot.sqlite3")
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"


class PracticeConfig(_Section):
    wrong_book_clear_after: int = Field(2, ge=1, le=10)
    review_batch: int = Field(20, ge=1, le=200)


class ExamConfig(_Section):
    sweep_interval_seconds: float = Field(5.0, ge=0.2, le=600)


class Config(_Section):
    default_locale: Literal["zh", "en"] = "zh"
    data_dir: Path = Path("data")
    content_root: Path = Field(default_factory=default_content_root)
    timezone: str = "Asia/Shanghai"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    storage: StorageConfig = StorageConfig()
    practice: PracticeConfig = PracticeConfig()
    exam: ExamConfig = ExamConfig()
    telegram: TelegramConfig = TelegramConfig()
    locality: dict[Literal["city", "portal", "app", "hall"], str] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def database_path(self) -> Path:
        return self.storage.path or self.data_dir / "lawbot.sqlite3"


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{source}: {key}: {message}")
    return "invalid configuration\n" + "\n".join(lines)


def load_config(path: Path | None = None, **overrides) -> Config:
    """Read YAML (or use defaults when path is None), apply overrides, validate."""
    data: dict = {}
    source = str(path) if path else "(defaults)"
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"{source}: file not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: invalid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: the top level must be a mapping")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
