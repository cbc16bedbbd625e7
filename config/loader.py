"""Read a configuration file and report every problem in it, each with its location.

``check_config`` returns all problems at once (TOML syntax, then each value, then the rules
across entries); ``load_config`` returns the validated ``RaqibConfig`` or raises
``ConfigError`` carrying that same list. Line numbers come from tomllib for syntax errors and,
for everything else, from a scan of the source text that maps key paths (``feeds[3].url``) to
the line where the key or its table is written.

Where the file and the data folder are comes from ``resolve_config_path`` and
``resolve_data_dir``; both take the environment as a mapping so that the command line is the
only place that reads ``os.environ``. The bundled configurations (``BUNDLED_DEFAULT``, the
demo's ``BUNDLED_DEMO``) sit beside this module.

The problems and their wording are in ``config.problems``, the scan from key path to line in
``config.key_lines``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from config.cross_rules import CROSS_FIELD_ERROR, Loc, cross_check, format_loc
from config.key_lines import LineIndex
from config.problems import ConfigError, Problem, syntax_problem, validation_message, watch_named
from config.schema import QUERY_ERROR, RaqibConfig

__all__ = [
    "BUNDLED_DEFAULT",
    "BUNDLED_DEMO",
    "check_config",
    "default_database_url",
    "load_config",
    "resolve_config_path",
    "resolve_data_dir",
]

BUNDLED_DEFAULT = Path(__file__).with_name("default.toml")
BUNDLED_DEMO = Path(__file__).with_name("demo.toml")

CONFIG_ENV = "RAQIB_CONFIG"
DATA_ENV = "RAQIB_DATA"
LOCAL_CONFIG = "raqib.toml"
DEFAULT_DATA_DIR = "raqib-data"


def resolve_config_path(explicit: str | None, env: Mapping[str, str], cwd: Path) -> Path:
    """``--config`` if given, else ``$RAQIB_CONFIG``, else ``./raqib.toml`` if it exists, else the
    bundled ``config/default.toml``. Relative paths are taken from ``cwd``; an explicit path
    that does not exist is returned anyway so the loader can say so."""
    if explicit:
        return cwd / explicit
    if env.get(CONFIG_ENV):
        return cwd / env[CONFIG_ENV]
    local = cwd / LOCAL_CONFIG
    if local.is_file():
        return local
    return BUNDLED_DEFAULT


def resolve_data_dir(env: Mapping[str, str], cwd: Path) -> Path:
    """``$RAQIB_DATA``, else ``./raqib-data`` (relative to ``cwd``). Not created here."""
    if env.get(DATA_ENV):
        return cwd / env[DATA_ENV]
    return cwd / DEFAULT_DATA_DIR


def default_database_url(data_dir: Path) -> str:
    """SQLite in the data folder, by absolute path so the working directory does not matter."""
    return f"sqlite:///{data_dir.resolve().as_posix()}/raqib.db"


def load_config(path: Path, *, data_dir: Path) -> RaqibConfig:
    """The validated configuration; ``ConfigError`` with every problem otherwise."""
    config, problems = _check(path, data_dir=data_dir)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def check_config(path: Path, *, data_dir: Path) -> list[Problem]:
    """Every problem in the file, in line order; an empty list means it loads."""
    return _check(path, data_dir=data_dir)[1]


def _check(path: Path, *, data_dir: Path) -> tuple[RaqibConfig | None, list[Problem]]:
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        return None, [Problem(path, "", None, f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = raw_bytes[: exc.start].count(b"\n") + 1
        return None, [Problem(path, "", bad_line, "the file is not UTF-8 text")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [syntax_problem(path, text, exc)]

    data.setdefault("database", default_database_url(data_dir))
    lines = LineIndex(text)
    found: list[tuple[Loc, str, int | None]] = []
    config: RaqibConfig | None = None
    try:
        config = RaqibConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] == CROSS_FIELD_ERROR:
                continue  # reported from the raw data below, with precise locations
            loc = tuple(error["loc"])
            line = lines.line_for(loc)
            message = validation_message(error, loc)
            if error["type"] == QUERY_ERROR:
                message += watch_named(data, loc)
                if line is not None and isinstance(error["input"], str):
                    line = lines.line_in_value(loc, line, error["input"], error.get("ctx", {}).get("position"))
            found.append((loc, message, line))
    found.extend((loc, message, lines.line_for(loc)) for loc, message in cross_check(data))

    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for loc, message, line in found:
        location = format_loc(loc)
        if (location, message) in seen:
            continue
        seen.add((location, message))
        problems.append(Problem(path, location, line, message))
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else config), problems
