/* GridDesk map page: the area layers (loaded after griddesk_map.js).
 *
 * Town and village boundaries, and the grids: polygons drawn by GDBatchCanvas
 * (griddesk_canvas.js), coloured as a choropleth of the chosen measure, with its
 * legend, selection, hover tips and name labels at close zoom.
 */
(function () {
  'use strict';

  var GD = window.GD, P = GD._page;
  var grid = P.grid, groups = P.groups, cases = P.cases, view = P.view;
  var esc = P.esc, coordsToLatLng = P.coordsToLatLng, classOf = P.classOf, pick = P.pick;
  var fitTo = P.fitTo, wantsFit = P.wantsFit, autoFit = P.autoFit;

  // ---------- boundaries ----------
  GD.setBoundaries = function (towns, villages) {
    groups.towns.clearLayers(); groups.villages.clearLayers();
    var dark = P.cfg.theme === 'dark';
    if (villages) {
      groups.villages.addLayer(L.geoJSON(villages, {
        renderer: P.canvasBounds, interactive: false, coordsToLatLng: coordsToLatLng,
        style: { color: dark ? '#90a4ae' : '#607d8b', weight: 1.2, dashArray: '4 4', fill: false, opacity: 0.9 }
      }));
    }
    if (towns) {
      groups.towns.addLayer(L.geoJSON(towns, {
        renderer: P.canvasBounds, interactive: false, coordsToLatLng: coordsToLatLng,
        style: { color: dark ? '#ffd54f' : '#6d4c41', weight: 2.6, fill: false, opacity: 0.95 }
      }));
    }
    autoFit(false);
    return true;
  };

  // ---------- grids ----------
  function fillOf(id) {
    var s = grid.scale, v = grid.values[id];
    if (!s) { return P.cfg.theme === 'dark' ? '#37474f' : '#cfd8dc'; }
    if (v === null || v === undefined || v !== v) { return s.noData; }
    return s.colors[classOf(v, s.thresholds)];
  }
  function renderLegend() {
    var div = P.legend.getContainer();
    var s = grid.scale;
    if (!s) { div.style.display = 'none'; return; }
    var rows = ['<div class="gd-legend-title">' + esc(s.title) + '</div>'];
    for (var i = s.colors.length - 1; i >= 0; i--) {
      rows.push('<div class="gd-legend-row"><i style="background:' + esc(s.colors[i]) + '"></i>' + esc(s.labels[i]) + '</div>');
    }
    rows.push('<div class="gd-legend-row"><i style="background:' + esc(s.noData) + '"></i>' + esc(P.T.noData) + '</div>');
    div.innerHTML = rows.join('');
    div.style.display = '';
  }
  P.addLegend = function () {  // called by GD.init
    P.legend = P.makeControl('bottomright', 'gd-legend gd-panel', function () {}).addTo(P.map);
    renderLegend();
  };
  function gridOutline() { return P.cfg.theme === 'dark' ? '#cfd8dc' : '#37474f'; }
  function gridStyle(feature) {
    var id = feature.properties.id;
    var sel = id === grid.selectedId;
    return {
      color: sel ? '#00e5ff' : gridOutline(), weight: sel ? 3 : 0.8, opacity: sel ? 1 : 0.75,
      fillColor: fillOf(id), fillOpacity: 0.6
    };
  }
  function gridTip(p) {
    var v = grid.values[p.id];
    var val = grid.scale && v !== undefined && v !== null ? '<br>' + esc(grid.scale.title) + ': ' + esc(grid.scale.kind === 'ratio' ? (v * 100).toFixed(1) + '%' : +(+v).toFixed(2)) : '';
    return '<b>' + esc(p.name) + '</b><br>' + esc(p.code) + val;
  }
  GD.setGrids = function (fc) {
    if (grid.layer) { groups.grids.removeLayer(grid.layer); }
    grid.byId = {}; grid.order = []; grid.count = 0; grid.labels.clearLayers();
    grid.layer = L.geoJSON(fc, {
      renderer: P.canvasMain, coordsToLatLng: coordsToLatLng, style: gridStyle, bubblingMouseEvents: false,
      onEachFeature: function (f, layer) {
        if (!(f.properties.id in grid.byId)) { grid.order.push(f.properties.id); grid.count++; }
        grid.byId[f.properties.id] = layer;
        layer._gdBatch = layer instanceof L.Polygon;
      }
    });
    grid.layer.on('click', function (e) {
      if (view.intake) { pick(e.latlng); return; }
      var id = e.layer.feature.properties.id;
      GD.selectGrid(id);
      if (GD.bridge) { GD.bridge.gridClick(id); }
    });
    grid.layer.on('mouseover', function (e) {
      P.hoverTip.setContent(gridTip(e.layer.feature.properties));
      P.map.openTooltip(P.hoverTip, e.latlng);
    });
    grid.layer.on('mouseout', function () { P.map.closeTooltip(P.hoverTip); });
    // Fit before the layer joins the map, so 25,000 polygons are projected once, not twice.
    if (grid.count && wantsFit(false)) { fitTo(cases.count ? cases.group.getBounds() : grid.layer.getBounds()); }
    groups.grids.addLayer(grid.layer);
    groups.cameras.eachLayer(function (l) { l.bringToFront(); });
    refreshLabels();
    return grid.count;
  };
  GD.selectGrid = function (id) {
    var old = grid.byId[grid.selectedId];
    grid.selectedId = id;
    if (old) { old._gdSelected = false; old.setStyle(gridStyle(old.feature)); }
    var l = grid.byId[id];
    if (l) {
      l._gdSelected = true;  // drawn on its own, after the batches
      l.setStyle(gridStyle(l.feature)); l.bringToFront(); groups.cameras.eachLayer(function (c) { c.bringToFront(); });
    }
    return !!l;
  };
  // A fill colour change needs no re-projection: set it and let the renderer redraw once.
  // Few changes redraw only their area (setStyle); many redraw the canvas once.
  function recolour(ids) {
    var bulk = ids.length > 500, n = 0;
    for (var i = 0; i < ids.length; i++) {
      var l = grid.byId[ids[i]];
      if (!l) { continue; }
      n++;
      if (bulk) { l.options.fillColor = fillOf(ids[i]); } else { l.setStyle({ fillColor: fillOf(ids[i]) }); }
    }
    if (bulk) { P.canvasMain.redrawAll(); }
    return n;
  }
  GD.setMeasure = function (m) {
    grid.scale = m.scale; grid.values = m.values || {};
    recolour(Object.keys(grid.byId));
    renderLegend();
    return grid.count;
  };
  GD.setGridValuesDense = function (arr) {  // one value per grid, in the order of setGrids
    for (var i = 0; i < arr.length && i < grid.order.length; i++) { grid.values[grid.order[i]] = arr[i]; }
    return recolour(grid.order);
  };
  GD.updateGridValues = function (values) {
    for (var id in values) { grid.values[id] = values[id]; }
    return recolour(Object.keys(values));
  };
  function refreshLabels() {
    if (!P.map || !grid.labels) { return; }
    grid.labels.clearLayers();
    if (!grid.layer || P.map.getZoom() < P.cfg.labelZoom || !P.map.hasLayer(groups.grids)) { return; }
    var b = P.map.getBounds(), n = 0;
    for (var id in grid.byId) {
      var l = grid.byId[id];
      if (!l._gdCenter) { l._gdCenter = l.getBounds().getCenter(); }
      if (!b.contains(l._gdCenter)) { continue; }
      var p = l.feature.properties;
      grid.labels.addLayer(L.marker(l._gdCenter, {
        pane: 'gdLabels', interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'gd-grid-label', html: '<span>' + esc(p.name || p.code) + '</span>', iconSize: null })
      }));
      if (++n >= P.cfg.maxLabels) { break; }
    }
  }
  P.refreshLabels = refreshLabels;  // GD.init: on moveend and when the grids are shown
  GD.labelCount = function () { return grid.labels.getLayers().length; };

  // ---------- introspection (tests, benchmark) ----------
  GD.gridFill = function (id) { var l = grid.byId[id]; return l ? l.options.fillColor : null; };
  GD._debugGridBounds = function (id) {  // south-west corner of a grid, display [lng, lat]
    var l = grid.byId[id];
    if (!l) { return null; }
    var sw = l.getBounds().getSouthWest();
    return [sw.lng, sw.lat];
  };
  GD.fireGridClick = function (id) {  // what a click on the feature does, without the pointer
    var l = grid.byId[id];
    if (!l) { return false; }
    grid.layer.fire('click', { layer: l, latlng: l.getBounds().getCenter(), propagatedFrom: l });
    return true;
  };
}());
