"""The map view of the command centre (issue 5): offline Leaflet in QtWebEngine.

Import `widgets.map.view.MapView` for the widget; `register_schemes()` from
`widgets.map.schemes` must run before the QApplication exists.
"""
