"""structlog set-up: JSON lines for log shippers, or a console form on a terminal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import orjson
import structlog

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def configure(log_format: str = "auto", level: str = "info") -> None:
    """Send structlog output to stdout; `auto` picks console on a TTY and JSON otherwise.

    JSON lines are rendered by orjson straight to bytes: every Check logs one, so the
    standard json module's cost would be paid on every decision.
    """
    console = log_format == "console" or (log_format == "auto" and sys.stdout.isatty())
    renderer: structlog.typing.Processor
    logger_factory: Callable[..., Any]
    if console:
        renderer = structlog.dev.ConsoleRenderer()
        logger_factory = structlog.PrintLoggerFactory(sys.stdout)
    else:
        renderer = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        logger_factory = structlog.BytesLoggerFactory(sys.stdout.buffer)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=logger_factory,
        cache_logger_on_first_use=True,
    )
