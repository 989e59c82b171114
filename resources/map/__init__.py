"""Web assets of the map view (griddesk_map.js, .css)."""
