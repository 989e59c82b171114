"""Importers: grids (GeoJSON), staff and the class dictionary (tables).

Each importer takes a Session and already-read data (rows keyed by the Chinese
headers, or a GeoJSON dict), checks everything before writing, raises
`ImportFailed` with every problem, and flushes without committing: the caller
owns the one transaction (the CLI rolls back on failure).

    from models.importers.staff import import_staff
    from models.importers.dictionary import import_dictionary
    from models.importers.grids import import_grids
"""

from models.importers.common import Column, ImportFailed, ImportSummary, Problem, Record

__all__ = ["Column", "ImportFailed", "ImportSummary", "Problem", "Record"]
