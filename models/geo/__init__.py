"""Pure geography: grid codes, grid-file validation, point location, the demo map.

No database and no Qt. Coordinates are WGS-84 lon/lat degrees throughout.
"""
