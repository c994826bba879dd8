"""The metric names a PromQL expression reads, without a full PromQL parser.

Good enough for the expressions this chart writes: string literals, label matchers and
range/offset brackets are removed, then every remaining identifier that is not a function,
a keyword or a label name inside by/without/on/ignoring/group_left/group_right (...) is a
metric name.
"""

from __future__ import annotations

import re

from prometheus_client.registry import Collector

KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or"}
    | {"unless", "offset", "inf", "nan"}
)
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
MATCHERS = re.compile(r"\{[^{}]*\}")
RANGES = re.compile(r"\[[^\]]*\]")
NUMBERS = re.compile(r"(?<![a-zA-Z0-9_:])[0-9][0-9a-zA-Z_.]*")  # 0.99, 1h, 1e3
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# Prometheus's own series about each scrape, present for every target.
SCRAPE_METRICS = frozenset({"up"})


def metric_names(expr: str) -> set[str]:
    text = STRINGS.sub('""', expr)
    text = MATCHERS.sub(" ", text)
    text = RANGES.sub(" ", text)
    text = GROUPING.sub(" ", text)
    text = NUMBERS.sub(" ", text)
    names: set[str] = set()
    for match in IDENTIFIER.finditer(text):
        rest = text[match.end() :].lstrip()
        name = match.group(0)
        if rest.startswith("(") or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def exported_names(registry: Collector) -> set[str]:
    """Every series name the registry's metric families can produce."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("_count", "_sum", "_created", ""),
        "gauge": ("",),
        "info": ("_info",),
    }
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in suffixes[family.type])
    return names
