"""structlog set-up: JSON lines for log shippers, or a console form on a terminal."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def _orjson_text(event: Any, **options: Any) -> str:
    # Text, not bytes, so that log lines share stdout's buffer with anything printed.
    return orjson.dumps(event, **options).decode("utf-8")


def configure(log_format: str = "auto", level: str = "info") -> None:
    """Send structlog output to stdout; `auto` picks console on a TTY and JSON otherwise.

    JSON lines are rendered by orjson: every Check logs one, and the standard json
    module takes ten times as long.
    """
    console = log_format == "console" or (log_format == "auto" and sys.stdout.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer()
        if console
        else structlog.processors.JSONRenderer(serializer=_orjson_text)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
