"""Video panel: camera stream tiles, the mosaic, and the conference panel/launcher (issue 8).

Import the Qt modules directly (`widgets.video.mosaic`, ...); this package file
stays import-light so `tile_state` can be used without Qt.
"""
