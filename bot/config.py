"""Typed configuration, validated at start: a wrong key or value names the key and the file."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

log = logging.getLogger(__name__)
_warned: set[str] = set()  # deprecation warnings already logged in this process


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message)


class ConfigError(Exception):
    """A problem that stops start-up, said in one line. Raised with a text key of bot.texts
    (and its values) it is said in the admin's language; raised with a message, that message."""

    def __init__(self, message: str = "", *, key: str | None = None, **values: object):
        self.key, self.values = key, values
        super().__init__(message if key is None else self.text("zh"))

    def text(self, locale: str = "zh") -> str:
        if self.key is None:
            return str(self.args[0]) if self.args else ""
        from bot.texts import tr

        return tr(locale, self.key, **self.values)


def default_content_root() -> Path:
    """The checkout this package lives in, when it has content/; else the working directory."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "content" / "laws").is_dir() else Path.cwd()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _secret(value: SecretStr | None, env_name: str | None) -> str | None:
    """A secret from the environment variable (wins) or the config file."""
    env = os.environ.get(env_name, "").strip() if env_name else ""
    if env:
        return env
    return value.get_secret_value() if value else None


class TelegramConfig(_Section):
    token: SecretStr | None = Field(None, description="bot token; prefer the environment variable")
    token_env: str = "LAWBOT_TELEGRAM_TOKEN"
    base_url: str | None = Field(None, description="Bot API base URL, e.g. http://127.0.0.1:8081/bot")
    base_file_url: str | None = None
    poll_timeout: int = Field(10, ge=0, le=60)
    connect_timeout: float = Field(10.0, gt=0, le=120)
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = Field(None, description="public HTTPS URL Telegram posts to (webhook mode)")
    webhook_path: str = Field("/telegram", pattern=r"^/[\w\-./]*$")
    secret_token: SecretStr | None = Field(None, description="X-Telegram-Bot-Api-Secret-Token; prefer the env")
    secret_token_env: str = "LAWBOT_TELEGRAM_SECRET_TOKEN"

    def resolved_token(self) -> str | None:
        return _secret(self.token, self.token_env)

    def resolved_secret_token(self) -> str | None:
        return _secret(self.secret_token, self.secret_token_env)


class HttpConfig(_Section):
    """The one HTTP server (Telegram webhook, WeChat and WeCom callbacks, /healthz)."""
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)
    shutdown_timeout: float = Field(10.0, ge=0, le=300)
    public_url: str | None = Field(None, pattern=r"^https?://[^\s]+$",
                                   description="the address people reach this server at, e.g. https://bot.example.org; "
                                               "certificates' QR codes point to <public_url>/verify/<serial>")


class WebConfig(_Section):
    """The admin console (管理后台) at /admin/ on the HTTP server; login by one-time links."""
    enabled: bool = Field(True, description="serve the console at /admin/ (lawbot run starts the HTTP server for it)")
    link_ttl_minutes: int = Field(10, ge=1, le=60, description="a login link is valid this long, once")
    session_idle_hours: float = Field(8.0, gt=0, le=72, description="a session ends after this long without a request")
    max_failures: int = Field(10, ge=1, le=1000, description="wrong or used links from one address before it is refused")
    failure_window_minutes: int = Field(15, ge=1, le=24 * 60)
    upload_max_mb: int = Field(20, ge=1, le=200, description="largest file a console form accepts (roster, bank)")
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"],
                                       description="reverse proxies whose X-Forwarded-For names the client")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"not an address or network: {item!r}") from None
        return value


class _WeChatCallbackConfig(_Section):
    """What the WeChat Official Account and the WeCom app callbacks share."""
    enabled: bool = False
    token: SecretStr | None = Field(None, description="the callback Token set in the admin console")
    encoding_aes_key: SecretStr | None = Field(None, description="EncodingAESKey (43 chars)")
    secret: SecretStr | None = Field(None, description="AppSecret / app Secret, for the message API")
    env_prefix: str = Field(..., description="secrets from <prefix>_TOKEN, <prefix>_AES_KEY, <prefix>_SECRET")
    api_base_url: str
    reply_timeout_seconds: float = Field(4.0, gt=0, le=4.8)
    max_reply_bytes: int = Field(2048, ge=256, le=20480)
    timestamp_window_seconds: int = Field(300, ge=10, le=3600)
    nonce_cache_size: int = Field(100_000, ge=100, le=10_000_000)

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("EncodingAESKey must be 43 characters")
        return value

    def resolved_token(self) -> str | None:
        return _secret(self.token, f"{self.env_prefix}_TOKEN")

    def resolved_aes_key(self) -> str | None:
        return _secret(self.encoding_aes_key, f"{self.env_prefix}_AES_KEY")

    def resolved_secret(self) -> str | None:
        return _secret(self.secret, f"{self.env_prefix}_SECRET")


class WeChatConfig(_WeChatCallbackConfig):
    path: str = Field("/wechat", pattern=r"^/[\w\-./]*$")
    app_id: str | None = None
    env_prefix: str = "LAWBOT_WECHAT"
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"


class WeComConfig(_WeChatCallbackConfig):
    path: str = Field("/wecom", pattern=r"^/[\w\-./]*$")
    corp_id: str | None = None
    agent_id: int | None = None
    env_prefix: str = "LAWBOT_WECOM"
    api_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"


class StorageConfig(_Section):
    path: Path | None = Field(None, description="SQLite file; default <data_dir>/lawbot.sqlite3")
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"


class DatabaseConfig(_Section):
    url: str | None = Field(None, pattern=r"^(postgresql|postgres|sqlite)(\+\w+)?://",
                            description="postgresql://user@host/db; none = the SQLite file under data_dir "
                                        "(env LAWBOT_DATABASE_URL overrides)")


class PracticeConfig(_Section):
    wrong_book_clear_after: int = Field(2, ge=1, le=10)
    review_batch: int = Field(20, ge=1, le=200)


class ExamConfig(_Section):
    sweep_interval_seconds: float = Field(5.0, ge=0.2, le=600)


class CertificatesConfig(_Section):
    """Pass certificates of official exams: the HMAC key that makes serials tamper-evident."""
    enabled: bool = True
    secret: SecretStr | None = Field(None, description="HMAC key (at least 16 characters); prefer the env")
    secret_env: str = "LAWBOT_CERT_SECRET"

    def resolved_secret(self) -> str | None:
        return _secret(self.secret, self.secret_env)


class AdminConfig(_Section):
    """Administrators for rosters, official exams and statistics: super admins act on every unit."""
    super_admins: list[str] = Field(default_factory=list, description="user keys with every right, e.g. tg:123")
    export_max_rows: int = Field(300_000, ge=100, le=1_000_000)


class BankConfig(_Section):
    """Question bank import in chat: admins send an .xlsx/.csv/.txt file."""
    upload_max_mb: int = Field(10, ge=1, le=20, description="largest file a channel downloads")
    upload_ttl_hours: int = Field(24, ge=1, le=720, description="how long a previewed upload waits for 导入")


class ActivityRuleConfig(_Section):
    points: int = Field(1, ge=0, le=100)
    daily_cap: int = Field(0, ge=0, le=10_000, description="0 = no cap")


class StudyConfig(_Section):
    """Study credit (参学): points per activity with a daily cap."""
    practice: ActivityRuleConfig = ActivityRuleConfig(points=1, daily_cap=20)
    case_read: ActivityRuleConfig = ActivityRuleConfig(points=2, daily_cap=10)
    daily: ActivityRuleConfig = ActivityRuleConfig(points=5, daily_cap=5)
    pk: ActivityRuleConfig = ActivityRuleConfig(points=5, daily_cap=15)  # per 答题PK win
    studied_min_points: int = Field(1, ge=1, le=100_000)


class StudyHoursConfig(_Section):
    """学时: active study time; a gap between two study actions counts at most idle_cutoff_seconds."""
    idle_cutoff_seconds: int = Field(300, ge=30, le=3600)


class FairnessConfig(_Section):
    """Flags for admins on official exams (never a penalty); the rules are in bot/domain/fairness.py."""
    reading_chars_per_second: float = Field(12.0, gt=0, le=100, description="reading speed that defines reading time")
    long_stem_chars: int = Field(100, ge=10, le=5000, description="a question this long (stem + options) is long")
    fast_ratio: float = Field(0.25, gt=0, le=1, description="an answer faster than this share of reading time is fast")
    fast_min_answers: int = Field(3, ge=1, le=500, description="fast answers in one attempt that raise a flag")
    identical_min_common: int = Field(5, ge=2, le=500, description="questions two people must share to be compared")
    identical_max_chance: float = Field(1e-4, gt=0, lt=1, description="flag identical sheets at most this likely by chance")


class RegistrationConfig(_Section):
    allow_staff_no: bool = True
    code_ttl_hours: int = Field(72, ge=1, le=24 * 90)
    max_failures_per_day: int = Field(5, ge=1, le=100)


_HHMM_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"


class JobConfig(_Section):
    """One scheduled job: a crontab line in the scheduler's time zone."""
    enabled: bool = True
    cron: str
    catch_up_minutes: int = Field(60, ge=0, le=7 * 24 * 60,
                                  description="after downtime, a missed run this recent still runs once")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"invalid crontab {value!r}: {exc}") from None
        return value


class SchedulerJobs(_Section):
    daily_question: JobConfig = JobConfig(cron="* * * * *", catch_up_minutes=24 * 60)
    exam_reminders: JobConfig = JobConfig(cron="0 9 * * *", catch_up_minutes=6 * 60)
    weekly_digest: JobConfig = JobConfig(cron="0 9 * * mon", catch_up_minutes=24 * 60)
    rates_snapshot: JobConfig = JobConfig(cron="30 1 * * *", catch_up_minutes=20 * 60)


class QuietHoursConfig(_Section):
    start: str = Field("22:00", pattern=_HHMM_PATTERN)
    end: str = Field("07:00", pattern=_HHMM_PATTERN)


class OutboxConfig(_Section):
    global_rate: float = Field(30.0, gt=0, le=1000, description="messages/s over all chats (paid broadcasts: 1000)")
    per_chat_rate: float = Field(1.0, gt=0, le=30)
    batch: int = Field(0, ge=0, le=1000, description="claimed at once = the crash re-send window; 0 = auto")
    max_tries: int = Field(6, ge=1, le=50)
    backoff_base_seconds: float = Field(2.0, gt=0, le=600)
    backoff_max_seconds: float = Field(600.0, gt=0, le=86400)
    lease_seconds: float = Field(30.0, ge=2, le=3600,
                                 description="an in-flight message of a sender that died is sent again after this")


class ExamWindowConfig(_Section):
    exam: str
    opens: date
    closes: date


class SchedulerConfig(_Section):
    enabled: bool = True
    timezone: str | None = Field(None, description="default: the top-level timezone")
    jobs: SchedulerJobs = SchedulerJobs()
    quiet_hours: QuietHoursConfig = QuietHoursConfig()
    daily_default_time: str = Field("08:00", pattern=_HHMM_PATTERN)
    daily_grace_minutes: int = Field(180, ge=1, le=24 * 60)
    closing_reminder_days: list[int] = Field(default_factory=lambda: [3], max_length=10)
    exam_windows: list[ExamWindowConfig] = Field(default_factory=list)
    broadcast_admins: list[str] = Field(default_factory=list, description="deprecated: use admin.super_admins")
    outbox: OutboxConfig = OutboxConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value


class Config(_Section):
    default_locale: Literal["zh", "en"] = "zh"
    data_dir: Path = Path("data")
    content_root: Path = Field(default_factory=default_content_root)
    timezone: str = "Asia/Shanghai"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    storage: StorageConfig = StorageConfig()
    database: DatabaseConfig = DatabaseConfig()
    practice: PracticeConfig = PracticeConfig()
    exam: ExamConfig = ExamConfig()
    admin: AdminConfig = AdminConfig()
    certificates: CertificatesConfig = CertificatesConfig()
    bank: BankConfig = BankConfig()
    study: StudyConfig = StudyConfig()
    study_hours: StudyHoursConfig = StudyHoursConfig()
    registration: RegistrationConfig = RegistrationConfig()
    fairness: FairnessConfig = FairnessConfig()
    telegram: TelegramConfig = TelegramConfig()
    http: HttpConfig = HttpConfig()
    web: WebConfig = WebConfig()
    wechat: WeChatConfig = WeChatConfig()
    wecom: WeComConfig = WeComConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    locality: dict[Literal["city", "portal", "app", "hall"], str] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_admin_list(self) -> Config:
        """`admin.super_admins` is the one list of admins; the older `scheduler.broadcast_admins`
        is still read (its users join the super admins) with a warning logged once."""
        old = [u for u in self.scheduler.broadcast_admins if u not in self.admin.super_admins]
        if self.scheduler.broadcast_admins:
            _warn_once("scheduler.broadcast_admins",
                       "config: scheduler.broadcast_admins is deprecated; move its users to admin.super_admins "
                       "(they are read as super admins now, with every admin right, not only /broadcast)")
        if not old:
            return self
        admin = self.admin.model_copy(update={"super_admins": [*self.admin.super_admins, *old]})
        object.__setattr__(self, "admin", admin)  # frozen model: set once, while validating
        return self

    @property
    def database_path(self) -> Path:
        return self.storage.path or self.data_dir / "lawbot.sqlite3"

    @property
    def database_url(self) -> str | None:
        """The database server's URL (env LAWBOT_DATABASE_URL, else database.url), or None for
        the embedded SQLite file."""
        return os.environ.get("LAWBOT_DATABASE_URL") or self.database.url

    @property
    def database_target(self) -> str | Path:
        """What storage opens: the server URL, or the SQLite file's path."""
        return self.database_url or self.database_path


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{source}: {key}: {message}")
    return "invalid configuration\n" + "\n".join(lines)


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def read_config_text(path: Path) -> str:
    """The file's text as editors save it: UTF-8 (with or without BOM), UTF-16 with BOM
    (Notepad's "Unicode"), or GBK/GB18030 (Notepad's "ANSI" on Chinese Windows)."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(key="cfg_not_found", file=source) from None
    except OSError as exc:
        raise ConfigError(key="cfg_unreadable", file=source, reason=exc.strerror or exc) from None
    encodings = [enc for bom, enc in _BOMS if data.startswith(bom)] or ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(key="cfg_encoding", file=source)


def load_config(path: Path | None = None, **overrides) -> Config:
    """Read YAML (or use defaults when path is None), apply overrides, validate."""
    data: dict = {}
    source = str(path) if path else "(defaults)"
    if path is not None:
        text = read_config_text(Path(path))
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else "?"
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(key="cfg_yaml", file=source, line=line, problem=problem) from None
        if not isinstance(data, dict):
            raise ConfigError(key="cfg_not_mapping", file=source)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
