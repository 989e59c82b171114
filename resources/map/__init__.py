"""Web assets of the map view: griddesk_map.js (core: the GD namespace, bridge, view, paint
acknowledgement), griddesk_cases.js (case markers and clusters), griddesk_areas.js (boundaries,
grids, legend, labels), griddesk_field.js (cameras, workers, patrol tracks), griddesk_canvas.js
and griddesk_map.css. widgets/map/assets.py lists them in load order."""
