"""Tests of the links from finding references to the statute."""

from __future__ import annotations

from devtools.citations import citations, linked_citation, linked_reference

SECTION_44A = "https://www.legislation.gov.uk/ukpga/2022/32/section/44A"


def test_a_pcsca_section_links_to_its_text_with_its_subsections() -> None:
    assert linked_citation("PCSCA 2022 s.44A(3)(a), (5)") == (
        f"PCSCA 2022 [s.44A(3)(a)]({SECTION_44A}), (5)"
    )
    assert linked_citation("PCSCA 2022 s.44A(7)-(8)") == f"PCSCA 2022 [s.44A(7)-(8)]({SECTION_44A})"


def test_a_range_of_sections_links_each_section() -> None:
    assert linked_citation("PCSCA 2022 ss.44E-44F") == (
        "PCSCA 2022 [ss.44E](https://www.legislation.gov.uk/ukpga/2022/32/section/44E)"
        "-[44F](https://www.legislation.gov.uk/ukpga/2022/32/section/44F)"
    )


def test_other_sources_are_left_as_written() -> None:
    announcement = (
        "Home Office announcement of 12 January 2026 (clearance at chief inspector level)"
    )
    assert linked_citation(announcement) == announcement
    assert linked_citation("Victim Information Request Code of Practice") == (
        "Victim Information Request Code of Practice"
    )


def test_a_reference_is_split_into_citations_and_each_is_linked() -> None:
    reference = "PCSCA 2022 s.44B(3)(b); force setting maximum_clearance_days"
    assert citations(reference) == [
        "PCSCA 2022 s.44B(3)(b)",
        "force setting maximum_clearance_days",
    ]
    assert linked_reference(reference) == (
        "PCSCA 2022 [s.44B(3)(b)](https://www.legislation.gov.uk/ukpga/2022/32/section/44B); "
        "force setting maximum_clearance_days"
    )
