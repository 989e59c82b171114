/* GridDesk map page: the canvas renderer of the grid layer (loaded before griddesk_map.js).
 *
 * Leaflet's canvas renderer fills and strokes each polygon on its own; 25,000 grids then
 * take ~100-170 ms per redraw on this kind of machine (software rendering). This
 * renderer batches them and caches the outlines, which halves a full redraw and makes a
 * recolour (fill colours only) cheaper still. Depends on Leaflet 1.9 internals
 * (_drawFirst, _parts, _redrawBounds), pinned by xstatic-leaflet 1.9.3.
 */
(function () {
  'use strict';

  // A canvas renderer that draws the grid polygons in batches: polygons grouped by fill
  // colour (and by line style for outlines), 32 to a path, one fill() or stroke() per
  // path, instead of a fill and a stroke per polygon. Grids tile the area without
  // overlapping, so an even-odd path of several draws the same picture; everything else
  // (cameras, a selected grid) is drawn after, one by one, as Leaflet does.
  function tracePoly(ctx, layer) {
    var parts = layer._parts;
    for (var i = 0; i < parts.length; i++) {
      var ring = parts[i];
      for (var j = 0; j < ring.length; j++) {
        if (j) { ctx.lineTo(ring[j].x, ring[j].y); } else { ctx.moveTo(ring[j].x, ring[j].y); }
      }
      ctx.closePath();
    }
  }
  var BatchCanvas = L.Canvas.extend({
    // Grid outlines do not change when grids are recoloured: they are drawn into a cached
    // canvas, redrawn only when the geometry or an outline style changes (pan, zoom,
    // grids added or removed, selection), and copied onto the map canvas otherwise.
    _update: function () {
      L.Canvas.prototype._update.call(this);
      this._gdEpoch = (this._gdEpoch || 0) + 1;
    },
    _initPath: function (layer) { L.Canvas.prototype._initPath.call(this, layer); this._gdEpoch++; },
    _removePath: function (layer) { L.Canvas.prototype._removePath.call(this, layer); this._gdEpoch++; },
    _updateStyle: function (layer) {
      var o = layer.options, key = o.color + '|' + o.weight + '|' + o.opacity + '|' + o.stroke;
      if (layer._gdStrokeKey !== key) { layer._gdStrokeKey = key; this._gdEpoch++; }
      L.Canvas.prototype._updateStyle.call(this, layer);
    },
    redrawAll: function () {  // one full redraw next frame, however many layers changed
      this._gdFull = true;
      if (!this._redrawRequest) { this._redrawRequest = L.Util.requestAnimFrame(this._redraw, this); }
    },
    _redraw: function () {
      if (this._gdFull) { this._redrawBounds = null; this._gdFull = false; }
      L.Canvas.prototype._redraw.call(this);
    },
    _gdStrokes: function (batch) {
      var main = this._container, cache = this._gdCache || (this._gdCache = document.createElement('canvas'));
      if (this._gdCacheEpoch === this._gdEpoch && cache.width === main.width && cache.height === main.height) { return cache; }
      cache.width = main.width; cache.height = main.height;  // also clears it
      var c = cache.getContext('2d'), b = this._bounds, r = main.width / Math.max(1, b.getSize().x), k, i, o;
      c.setTransform(r, 0, 0, r, -b.min.x * r, -b.min.y * r);
      for (k in batch) {
        o = batch[k][0].options;
        c.globalAlpha = o.opacity;
        c.lineWidth = o.weight;
        c.strokeStyle = o.color;
        c.lineCap = o.lineCap;
        c.lineJoin = o.lineJoin;
        for (i = 0; i < batch[k].length; i++) {
          if (i % 32 === 0) { if (i) { c.stroke(); } c.beginPath(); }
          tracePoly(c, batch[k][i]);
        }
        c.stroke();
      }
      this._gdCacheEpoch = this._gdEpoch;
      return cache;
    },
    _draw: function () {
      var bounds = this._redrawBounds, ctx = this._ctx, fills = {}, strokes = {}, singles = [], k, i, o;
      ctx.save();
      if (bounds) {
        var size = bounds.getSize();
        ctx.beginPath();
        ctx.rect(bounds.min.x, bounds.min.y, size.x, size.y);
        ctx.clip();
      }
      this._drawing = true;
      for (var order = this._drawFirst; order; order = order.next) {
        var layer = order.layer;
        o = layer.options;
        if (!layer._gdBatch || layer._gdSelected || !layer._parts || o.dashArray) {
          if (!bounds || (layer._pxBounds && layer._pxBounds.intersects(bounds))) { singles.push(layer); }
          continue;
        }
        if (!layer._parts.length) { continue; }
        // every batched outline goes to the cache; fills only where the redraw is
        if (o.stroke && o.weight) { k = o.color + '|' + o.weight + '|' + o.opacity; (strokes[k] || (strokes[k] = [])).push(layer); }
        if (bounds && !(layer._pxBounds && layer._pxBounds.intersects(bounds))) { continue; }
        if (o.fill) { k = o.fillColor + '|' + o.fillOpacity; (fills[k] || (fills[k] = [])).push(layer); }
      }
      for (k in fills) {
        o = fills[k][0].options;
        ctx.globalAlpha = o.fillOpacity;
        ctx.fillStyle = o.fillColor;
        for (i = 0; i < fills[k].length; i++) {
          if (i % 32 === 0) { if (i) { ctx.fill('evenodd'); } ctx.beginPath(); }  // 32 per path: measured fastest
          tracePoly(ctx, fills[k][i]);
        }
        ctx.fill('evenodd');
      }
      var cache = this._gdStrokes(strokes);
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.globalAlpha = 1;
      ctx.drawImage(cache, 0, 0);
      ctx.restore();
      for (i = 0; i < singles.length; i++) { singles[i]._updatePath(); }
      this._drawing = false;
      ctx.restore();
    }
  });

  window.GDBatchCanvas = BatchCanvas;
}());
