"""`vir-sidecar audit report`: what verified audit trails add up to, for oversight.

trails.py verifies and reads each trail, tally.py counts records by period, summary.py turns
the counts into the suppressed figures that every output format shares, and json_csv.py,
html.py and charts.py write them out.
"""
