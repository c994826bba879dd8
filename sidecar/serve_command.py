"""`vir-sidecar serve`: resolve the settings, then run the sidecar until stopped."""

from __future__ import annotations

import argparse
import sys

from sidecar import config, log_setup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    config.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        settings = config.resolve(args)
    except config.ConfigError as error:
        print(f"vir-sidecar serve: {error}", file=sys.stderr)
        return 2
    log_setup.configure(settings.log_format, settings.log_level)
    from sidecar import server

    return server.run(settings)
