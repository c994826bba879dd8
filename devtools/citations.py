"""Links from the policy's finding references to the statute on legislation.gov.uk.

PCSCA 2022 is ukpga/2022/32; its ss.44A-44F were inserted by ss.28-29 of the
Victims and Prisoners Act 2024 (ukpga/2024/21). A reference is a list of
citations separated by "; "; each section of PCSCA it names becomes a link.
"""

from __future__ import annotations

import re

PCSCA_SECTION_URL = "https://www.legislation.gov.uk/ukpga/2022/32/section/{section}"
VPA_SECTION_URL = "https://www.legislation.gov.uk/ukpga/2024/21/section/{section}"

_SECTION = re.compile(r"(?<![\w.])(s\.|ss\.)?(44[A-F])((?:-?\([0-9a-z]+\))*)")


def section_url(section: str) -> str:
    return PCSCA_SECTION_URL.format(section=section)


def linked_citation(citation: str) -> str:
    """One citation in Markdown, each PCSCA 2022 section linked to its text."""
    if not citation.startswith("PCSCA 2022 "):
        return citation

    def link(match: re.Match[str]) -> str:
        prefix, section, subsections = match.group(1) or "", match.group(2), match.group(3)
        return f"[{prefix}{section}{subsections}]({section_url(section)})"

    return _SECTION.sub(link, citation)


def citations(reference: str) -> list[str]:
    return [part for part in reference.split("; ") if part]


def linked_reference(reference: str) -> str:
    return "; ".join(linked_citation(c) for c in citations(reference))
