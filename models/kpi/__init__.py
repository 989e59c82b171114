"""Indicators (综合评价) of DOMAIN §5 / issue 3: exact SQL over the cohort, and rollups."""
