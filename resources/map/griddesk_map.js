/* GridDesk map page: layers, bridge to Python and incremental updates.
 *
 * folium builds the page (Leaflet map, basemap tile layer) and calls
 * GD.init(map, config, baseLayer). Python (widgets/map/view.py) then pushes data
 * with runJavaScript calls such as GD.setGrids(fc) or GD.applyCases({upsert, remove})
 * that carry only what changed; the page is never reloaded for new data. User
 * actions go back through the QWebChannel object `gdBridge` (widgets/map/bridge.py).
 *
 * Coordinates arrive in WGS-84 as [lon, lat]; with config.gcj02 they are shifted to
 * GCJ-02 for display (GD.toDisplay, a port of widgets/map/coords.py).
 * Functions that return structures for Python return JSON strings (runJavaScript
 * hands objects to Python as '').
 */
(function () {
  'use strict';

  var I18N = {
    zh: {
      basemap: '底图', grids: '网格', towns: '镇街边界', villages: '村社区边界', cases: '案件',
      cameras: '摄像头', workers: '网格员', tracks: '巡查轨迹', noData: '无数据',
      locked: '视图已锁定（手动操作）· 点击解锁', play: '播放', pause: '暂停', speed: '倍速',
      intake: '受理模式：点击地图选取位置', online: '在线', offline: '离线', grid: '网格',
      light: { green: '绿灯', yellow: '黄灯', red: '红灯', none: '无计时' }
    },
    en: {
      basemap: 'Basemap', grids: 'Grids', towns: 'Town boundaries', villages: 'Village boundaries',
      cases: 'Cases', cameras: 'Cameras', workers: 'Grid workers', tracks: 'Patrol tracks',
      noData: 'No data', locked: 'View locked (manual pan) · click to unlock', play: 'Play',
      pause: 'Pause', speed: 'Speed', intake: 'Intake: click the map to pick a location',
      online: 'online', offline: 'offline', grid: 'Grid',
      light: { green: 'green', yellow: 'yellow', red: 'red', none: 'no timer' }
    }
  };
  var LIGHT_RANK = { none: 0, green: 1, yellow: 2, red: 3 };
  var TRACK_COLORS = ['#00e5ff', '#ff4081', '#76ff03', '#ffab00', '#d500f9', '#1de9b6', '#ff6e40', '#2979ff'];

  var GD = window.GD = { ready: false, bridge: null, errors: [] };
  var map, cfg, T, control, legend, lockCtl, playCtl, hintCtl;
  var canvasMain, canvasBounds, canvasTracks;
  var groups = {};
  var grid = { layer: null, byId: {}, order: [], values: {}, scale: null, selectedId: null, labels: null, count: 0 };
  var cases = { group: null, byId: {}, selectedId: null, cardId: null, count: 0, loading: false, waiting: [] };
  var cams = { byId: {}, count: 0 };
  var workers = { byId: {}, count: 0 };
  var tracks = { items: [], t0: 0, t1: 0, t: 0, playing: false, speed: 60, raf: null, last: 0 };
  var view = { locked: false, prog: 0, lastInput: 0, fitted: false, intake: false };
  var sharedPopup, hoverTip, pickMarker = null;
  var icons = {}, iconsSel = {};

  // ---------- helpers ----------
  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function report(msg) {
    GD.errors.push(String(msg));
    if (GD.bridge) { GD.bridge.error(String(msg)); }
  }
  window.addEventListener('error', function (e) {
    report((e.message || 'error') + ' @' + (e.filename || '') + ':' + (e.lineno || 0));
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    report('CSP blocked ' + e.blockedURI + ' (' + e.violatedDirective + ')');
  });

  // WGS-84 -> GCJ-02, the same closed form as widgets/map/coords.py.
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function outOfChina(lon, lat) { return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271); }
  function wgsToGcj(lon, lat) {
    if (outOfChina(lon, lat)) { return [lon, lat]; }
    var x = lon - 105.0, y = lat - 35.0, sx = Math.sqrt(Math.abs(x));
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common;
    dlat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dlat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common;
    dlon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dlon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = 1.0 - EE * Math.pow(Math.sin(rad), 2), sm = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sm) * PI);
    dlon = (dlon * 180.0) / (A / sm * Math.cos(rad) * PI);
    return [lon + dlon, lat + dlat];
  }
  function toDisplay(lon, lat) { return cfg && cfg.gcj02 ? wgsToGcj(lon, lat) : [lon, lat]; }
  GD.toDisplay = function (lon, lat) { return JSON.stringify(toDisplay(lon, lat)); };
  function ll(lon, lat) { var p = toDisplay(lon, lat); return L.latLng(p[1], p[0]); }
  function coordsToLatLng(c) { var p = toDisplay(c[0], c[1]); return L.latLng(p[1], p[0]); }

  function classOf(v, thresholds) {
    var k = 0;
    for (var i = 0; i < thresholds.length; i++) { if (thresholds[i] <= v) { k++; } }
    return k;
  }
  GD.classOf = classOf;
  function fillOf(id) {
    var s = grid.scale, v = grid.values[id];
    if (!s) { return cfg.theme === 'dark' ? '#37474f' : '#cfd8dc'; }
    if (v === null || v === undefined || v !== v) { return s.noData; }
    return s.colors[classOf(v, s.thresholds)];
  }

  // Programmatic moves never lock the wall view; a move shortly after user input does.
  function programmatic(fn) {
    view.prog++;
    try { fn(); } finally { view.prog--; }
  }
  function fitTo(bounds) {
    if (!bounds || !bounds.isValid()) { return false; }
    programmatic(function () {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17, animate: false });
    });
    view.fitted = true;
    return true;
  }
  function dataBounds() {
    if (cases.count) { return cases.group.getBounds(); }
    if (grid.layer && grid.count) { return grid.layer.getBounds(); }
    if (groups.towns.getLayers().length) { return groups.towns.getLayers()[0].getBounds(); }
    return null;
  }
  function lockView(on) {
    if (view.locked === on) { return; }
    view.locked = on;
    lockCtl.getContainer().style.display = on ? '' : 'none';
    if (GD.bridge) { GD.bridge.viewLock(on); }
  }
  GD.unlockView = function () {
    lockView(false);
    fitTo(dataBounds());
    return true;
  };
  // The first data fits the view; after that only wall mode refits, and only when the
  // set of shown cases changed and the operator has not locked the view.
  function wantsFit(setChanged) {
    if (view.locked) { return false; }
    return !view.fitted || (cfg.wallMode && setChanged);
  }
  // On the wall a new size (screen, dock layout, zoom factor) refits unless the operator locked the view.
  function onResize() {
    if (cfg.wallMode && view.fitted && !view.locked) { fitTo(dataBounds()); }
  }
  function autoFit(setChanged) {
    if (wantsFit(setChanged)) { fitTo(dataBounds()); }
  }

  // ---------- controls ----------
  function makeControl(position, className, build) {
    var C = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create('div', className);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        build(div);
        return div;
      }
    });
    return new C({ position: position });
  }
  function renderLegend() {
    var div = legend.getContainer();
    var s = grid.scale;
    if (!s) { div.style.display = 'none'; return; }
    var rows = ['<div class="gd-legend-title">' + esc(s.title) + '</div>'];
    for (var i = s.colors.length - 1; i >= 0; i--) {
      rows.push('<div class="gd-legend-row"><i style="background:' + esc(s.colors[i]) + '"></i>' + esc(s.labels[i]) + '</div>');
    }
    rows.push('<div class="gd-legend-row"><i style="background:' + esc(s.noData) + '"></i>' + esc(T.noData) + '</div>');
    div.innerHTML = rows.join('');
    div.style.display = '';
  }
  function fmtTime(t) {
    var d = new Date(t * 1000);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }
  function renderPlayback() {
    var div = playCtl.getContainer();
    div.style.display = tracks.items.length ? '' : 'none';
    var btn = div.querySelector('button'), slider = div.querySelector('input'), label = div.querySelector('span');
    btn.textContent = tracks.playing ? '❚❚ ' + T.pause : '▶ ' + T.play;
    slider.min = tracks.t0; slider.max = tracks.t1; slider.value = tracks.t;
    label.textContent = tracks.items.length ? fmtTime(tracks.t) : '';
  }

  // ---------- init ----------
  GD.init = function (leafletMap, config, baseLayer) {
    map = leafletMap; cfg = config; T = I18N[cfg.lang] || I18N.en;
    // markercluster needs a finite maxZoom, and builds its clusters for every level between
    map.setMinZoom(cfg.minZoom === undefined ? 6 : cfg.minZoom); map.setMaxZoom(20);
    document.body.classList.add('gd-theme-' + cfg.theme);
    if (map.attributionControl) { map.attributionControl.setPrefix(false); }

    [['gdGrids', 400], ['gdBounds', 410], ['gdTracks', 420], ['gdLabels', 450]].forEach(function (p) {
      map.createPane(p[0]).style.zIndex = p[1];
    });
    canvasMain = new window.GDBatchCanvas({ pane: 'gdGrids', tolerance: 2 });
    canvasBounds = L.canvas({ pane: 'gdBounds' });
    canvasTracks = L.canvas({ pane: 'gdTracks' });

    groups.grids = L.layerGroup().addTo(map);
    groups.towns = L.layerGroup().addTo(map);
    groups.villages = L.layerGroup().addTo(map);
    groups.tracks = L.layerGroup().addTo(map);
    groups.cameras = L.layerGroup().addTo(map);
    groups.workers = L.layerGroup().addTo(map);
    grid.labels = L.layerGroup().addTo(map);
    cases.group = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, disableClusteringAtZoom: 17,
      maxClusterRadius: 50, spiderfyOnMaxZoom: false, iconCreateFunction: clusterIcon,
      chunkProgress: function (done, total) { cases.loading = done < total; }
    });
    useCaseGrids(cases.group);
    cases.group.addTo(map);
    groups.cases = cases.group;
    ['none', 'green', 'yellow', 'red'].forEach(function (light) {
      icons[light] = L.divIcon({ className: 'gd-case gd-light-' + light, html: '<b></b>', iconSize: [16, 16] });
      iconsSel[light] = L.divIcon({ className: 'gd-case gd-selected gd-light-' + light, html: '<b></b>', iconSize: [24, 24] });
    });

    var bases = {};
    if (baseLayer) { bases[T.basemap] = baseLayer; }
    var overlays = {};
    overlays[T.grids] = groups.grids; overlays[T.towns] = groups.towns; overlays[T.villages] = groups.villages;
    overlays[T.cases] = groups.cases; overlays[T.cameras] = groups.cameras; overlays[T.workers] = groups.workers;
    overlays[T.tracks] = groups.tracks;
    control = L.control.layers(bases, overlays, { collapsed: !!cfg.collapsedLayers, position: 'topright' }).addTo(map);
    (cfg.hiddenLayers || []).forEach(function (name) { if (groups[name]) { map.removeLayer(groups[name]); } });
    map.on('resize', onResize);
    map.on('overlayremove', function (e) { if (e.layer === groups.grids) { map.removeLayer(grid.labels); } });
    map.on('overlayadd', function (e) { if (e.layer === groups.grids) { map.addLayer(grid.labels); refreshLabels(); } });

    legend = makeControl('bottomright', 'gd-legend gd-panel', function () {}).addTo(map);
    renderLegend();
    lockCtl = makeControl('topleft', 'gd-lock gd-panel', function (div) {
      div.textContent = '🔒 ' + T.locked;
      div.title = T.locked;
      L.DomEvent.on(div, 'click', function () { GD.unlockView(); });
    }).addTo(map);
    lockCtl.getContainer().style.display = 'none';
    hintCtl = makeControl('topleft', 'gd-hint gd-panel', function (div) { div.textContent = T.intake; }).addTo(map);
    hintCtl.getContainer().style.display = 'none';
    playCtl = makeControl('bottomleft', 'gd-playback gd-panel', function (div) {
      div.innerHTML = '<button type="button"></button><input type="range" step="1"><span></span>' +
        '<select><option value="10">10×</option><option value="60" selected>60×</option>' +
        '<option value="300">300×</option><option value="1200">1200×</option></select>';
      L.DomEvent.on(div.querySelector('button'), 'click', function () {
        GD.playback({ cmd: tracks.playing ? 'pause' : 'play' });
      });
      L.DomEvent.on(div.querySelector('input'), 'input', function (e) {
        GD.playback({ cmd: 'seek', t: parseFloat(e.target.value) });
      });
      L.DomEvent.on(div.querySelector('select'), 'change', function (e) {
        tracks.speed = parseFloat(e.target.value);
      });
    }).addTo(map);
    renderPlayback();

    sharedPopup = L.popup({ maxWidth: 320, autoPan: !cfg.wallMode, className: 'gd-popup' });
    hoverTip = L.tooltip({ sticky: true, direction: 'top', offset: [0, -6], className: 'gd-tip' });

    // User input marks the next moves as manual (wall mode locks on them).
    var c = map.getContainer();
    ['mousedown', 'wheel', 'touchstart', 'keydown', 'dblclick'].forEach(function (ev) {
      c.addEventListener(ev, function (e) {
        if (e.target && e.target.closest && e.target.closest('.gd-lock')) { return; }
        view.lastInput = Date.now();
      }, true);
    });
    map.on('movestart zoomstart', function () {
      if (cfg.wallMode && view.prog === 0 && Date.now() - view.lastInput < 1500) { lockView(true); }
    });
    map.on('dragstart', function () { if (cfg.wallMode) { lockView(true); } });
    map.on('moveend', refreshLabels);
    map.on('click', function (e) { if (view.intake) { pick(e.latlng); } });

    if (typeof QWebChannel !== 'undefined' && window.qt && qt.webChannelTransport) {
      new QWebChannel(qt.webChannelTransport, function (channel) {
        GD.bridge = channel.objects.gdBridge;
        GD.errors.forEach(function (m) { GD.bridge.error(m); });
        GD.ready = true;
        GD.bridge.ready();
      });
    } else {
      GD.ready = true;  // opened outside Qt (e.g. in a browser for debugging)
    }
  };

  function pick(latlng) {
    if (pickMarker) { pickMarker.setLatLng(latlng); } else {
      pickMarker = L.marker(latlng, { icon: L.divIcon({ className: 'gd-pick', iconSize: [22, 22] }), interactive: false }).addTo(map);
    }
    if (GD.bridge) { GD.bridge.mapClick(latlng.lng, latlng.lat); }
  }
  GD.setIntakeMode = function (on) {
    view.intake = !!on;
    L.DomUtil[on ? 'addClass' : 'removeClass'](map.getContainer(), 'gd-intake');
    hintCtl.getContainer().style.display = on ? '' : 'none';
    if (!on && pickMarker) { map.removeLayer(pickMarker); pickMarker = null; }
    return view.intake;
  };

  // ---------- boundaries ----------
  GD.setBoundaries = function (towns, villages) {
    groups.towns.clearLayers(); groups.villages.clearLayers();
    var dark = cfg.theme === 'dark';
    if (villages) {
      groups.villages.addLayer(L.geoJSON(villages, {
        renderer: canvasBounds, interactive: false, coordsToLatLng: coordsToLatLng,
        style: { color: dark ? '#90a4ae' : '#607d8b', weight: 1.2, dashArray: '4 4', fill: false, opacity: 0.9 }
      }));
    }
    if (towns) {
      groups.towns.addLayer(L.geoJSON(towns, {
        renderer: canvasBounds, interactive: false, coordsToLatLng: coordsToLatLng,
        style: { color: dark ? '#ffd54f' : '#6d4c41', weight: 2.6, fill: false, opacity: 0.95 }
      }));
    }
    autoFit(false);
    return true;
  };

  // ---------- grids ----------
  function gridOutline() { return cfg.theme === 'dark' ? '#cfd8dc' : '#37474f'; }
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
      renderer: canvasMain, coordsToLatLng: coordsToLatLng, style: gridStyle, bubblingMouseEvents: false,
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
      hoverTip.setContent(gridTip(e.layer.feature.properties));
      map.openTooltip(hoverTip, e.latlng);
    });
    grid.layer.on('mouseout', function () { map.closeTooltip(hoverTip); });
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
    if (bulk) { canvasMain.redrawAll(); }
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
    if (!map || !grid.labels) { return; }
    grid.labels.clearLayers();
    if (!grid.layer || map.getZoom() < cfg.labelZoom || !map.hasLayer(groups.grids)) { return; }
    var b = map.getBounds(), n = 0;
    for (var id in grid.byId) {
      var l = grid.byId[id];
      if (!l._gdCenter) { l._gdCenter = l.getBounds().getCenter(); }
      if (!b.contains(l._gdCenter)) { continue; }
      var p = l.feature.properties;
      grid.labels.addLayer(L.marker(l._gdCenter, {
        pane: 'gdLabels', interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'gd-grid-label', html: '<span>' + esc(p.name || p.code) + '</span>', iconSize: null })
      }));
      if (++n >= cfg.maxLabels) { break; }
    }
  }
  GD.labelCount = function () { return grid.labels.getLayers().length; };

  // ---------- cases ----------
  // The worst light in a cluster, looking no further than the first red.
  function worstRank(cluster, rank) {
    var ms = cluster._markers, cs = cluster._childClusters, i, r;
    for (i = 0; i < ms.length && rank < 3; i++) {
      r = LIGHT_RANK[ms[i].gd.light] || 0;
      if (r > rank) { rank = r; }
    }
    for (i = 0; i < cs.length && rank < 3; i++) { rank = worstRank(cs[i], rank); }
    return rank;
  }
  var RANK_LIGHT = ['none', 'green', 'yellow', 'red'];
  function clusterIcon(cluster) {
    var worst = RANK_LIGHT[worstRank(cluster, 0)];
    var n = cluster.getChildCount();
    return L.divIcon({
      html: '<div><span>' + n + '</span></div>', className: 'marker-cluster gd-cluster gd-light-' + worst,
      iconSize: L.point(40, 40)
    });
  }
  function cardHtml(c) {
    var rows = ['<div class="gd-card"><div class="gd-card-head gd-light-' + esc(c.light) + '"><b>' + esc(c.code) +
      '</b> · ' + esc((T.light[c.light] || c.light)) + '</div><div class="gd-card-title">' + esc(c.title) + '</div>'];
    if (c.card && typeof c.card === 'object') {
      for (var k in c.card) { rows.push('<div class="gd-card-row"><i>' + esc(k) + '</i> ' + esc(c.card[k]) + '</div>'); }
    } else if (c.card) {
      String(c.card).split('\n').forEach(function (line) { rows.push('<div class="gd-card-row">' + esc(line) + '</div>'); });
    }
    rows.push('</div>');
    return rows.join('');
  }
  function openCard(m) {
    cases.cardId = m.gd.id;
    sharedPopup.setLatLng(m.getLatLng()).setContent(cardHtml(m.gd));
    sharedPopup.options.offset = L.point(0, -8);
    map.openPopup(sharedPopup);
  }
  function onCaseClick(e) {
    var m = e.target;
    if (view.intake) { pick(m.getLatLng()); return; }
    selectCase(m.gd.id);
    openCard(m);
    if (GD.bridge) { GD.bridge.caseClick(m.gd.id); }
  }
  function selectCase(id) {
    var old = cases.byId[cases.selectedId];
    if (old) { old.setIcon(icons[old.gd.light] || icons.none); }
    cases.selectedId = id;
    var m = cases.byId[id];
    if (m) { m.setIcon(iconsSel[m.gd.light] || iconsSel.none); }
  }
  // markercluster keeps, per zoom level, a grid of its clusters and of its unclustered
  // markers (L.DistanceGrid) to find what a marker joins. Its grid stores cells and points
  // in objects keyed by big integers, which V8 keeps as slow dictionaries; this one keeps
  // rows and cells in Maps keyed by small integers, and each point next to its object in
  // the cell. It answers every call exactly as L.DistanceGrid does (the same cells, visited
  // in the same order, the same distances and ties), so the clusters are the same.
  function CaseGrid(cellSize) {
    this._cellSize = cellSize; this._sqCellSize = cellSize * cellSize;
    this._rows = new Map();  // y -> Map(x -> [obj, point, obj, point, ...])
  }
  CaseGrid.prototype = {
    _getCoord: L.DistanceGrid.prototype._getCoord,
    _sqDist: L.DistanceGrid.prototype._sqDist,
    _cell: function (point, make) {
      var x = this._getCoord(point.x), y = this._getCoord(point.y), row = this._rows.get(y), cell;
      if (row === undefined) {
        if (!make) { return null; }
        row = new Map(); this._rows.set(y, row);
      }
      cell = row.get(x);
      if (cell === undefined) {
        if (!make) { return null; }
        cell = []; row.set(x, cell);
      }
      return cell;
    },
    addObject: function (obj, point) { this._cell(point, true).push(obj, point); },
    updateObject: function (obj, point) { this.removeObject(obj, point); this.addObject(obj, point); },
    removeObject: function (obj, point) {  // true if found (in the cell of `point`)
      var cell = this._cell(point, false);
      if (cell === null) { return; }
      for (var i = 0, len = cell.length; i < len; i += 2) {
        if (cell[i] === obj) {
          cell.splice(i, 2);
          if (len === 2) { this._rows.get(this._getCoord(point.y)).delete(this._getCoord(point.x)); }
          return true;
        }
      }
    },
    eachObject: function (fn, context) {
      this._rows.forEach(function (row) {
        row.forEach(function (cell) {
          for (var k = 0; k < cell.length; k += 2) { if (fn.call(context, cell[k])) { k -= 2; } }
        });
      });
    },
    getNearObject: function (point) {
      var x = this._getCoord(point.x), y = this._getCoord(point.y), px = point.x, py = point.y,
        closestDistSq = this._sqCellSize, closest = null, i, j, k, row, cell, p, dx, dy, dist;
      for (i = y - 1; i <= y + 1; i++) {
        row = this._rows.get(i);
        if (row === undefined) { continue; }
        for (j = x - 1; j <= x + 1; j++) {
          cell = row.get(j);
          if (cell === undefined) { continue; }
          for (k = 0; k < cell.length; k += 2) {
            p = cell[k + 1];
            dx = px - p.x; dy = py - p.y; dist = dx * dx + dy * dy;
            if (dist < closestDistSq || dist <= closestDistSq && closest === null) { closestDistSq = dist; closest = cell[k]; }
          }
        }
      }
      return closest;
    }
  };
  function useCaseGrids(g) {
    g._generateInitialClusters = function () {
      L.MarkerClusterGroup.prototype._generateInitialClusters.call(this);
      for (var z in this._gridClusters) {
        this._gridClusters[z] = new CaseGrid(this._gridClusters[z]._cellSize);
        this._gridUnclustered[z] = new CaseGrid(this._gridUnclustered[z]._cellSize);
      }
    };
  }

  // markercluster (1.4.1, pinned by xstatic-leaflet-markercluster) places a marker by
  // projecting it once per zoom level (minZoom..16, 11 levels) and looking for a cluster
  // or marker near it in each level's grid. While GridDesk re-places markers in bulk,
  // map.project is swapped for one that projects each point once, at zoom 0, and scales
  // it by 2^zoom: a power-of-two scale is exact in floating point, so every number (and
  // therefore the tree) is the same as markercluster's own, at a tenth of the cost.
  var projectProto = L.Map.prototype.project;
  function fastProject(latlng, zoom) {
    if (!(latlng instanceof L.LatLng) || zoom !== (zoom | 0) || map.options.crs !== L.CRS.EPSG3857) {
      return projectProto.call(map, latlng, zoom);
    }
    var p = latlng._gdP;
    if (p === undefined || latlng._gdLat !== latlng.lat || latlng._gdLng !== latlng.lng) {
      p = latlng._gdP = map.options.crs.latLngToPoint(latlng, 0);
      latlng._gdLat = latlng.lat; latlng._gdLng = latlng.lng;
    }
    var s = Math.pow(2, zoom);
    return new L.Point(p.x * s, p.y * s);
  }
  function placing(fn) {
    map.project = fastProject;
    try { fn(); } finally { delete map.project; }
  }
  // Our own moves must not make markercluster move each marker on its own (remove + add,
  // with a full bounds update each): the callers re-place them in bulk. A marker off the
  // map has nothing to redraw and nobody else listening, so it just takes its position.
  function moveMarkers(ms) {
    var g = cases.group, was = g._ignoreMove, m;
    g._ignoreMove = true;
    try {
      for (var i = 0; i < ms.length; i++) {
        m = ms[i];
        if (m._map) { m.setLatLng(ll(m.gd.lon, m.gd.lat)); } else { m._latlng = ll(m.gd.lon, m.gd.lat); }
      }
    } finally { g._ignoreMove = was; }
  }
  // The whole cluster tree rebuilt from the markers in id order, as markercluster's
  // clearLayers() + addLayers() would (the same calls in the same order: the same
  // clusters), less the per-marker listener churn and layer events, and with one
  // projection per marker.
  function rebuildClusters(added, moved, leaving) {
    var g = cases.group, all = [], handlers = g._childMarkerEventHandlers, i;
    for (var id in cases.byId) { all.push(cases.byId[id]); }
    if (!g._map) {  // the layer is switched off: markercluster keeps the markers until it is back
      g.clearLayers(); moveMarkers(moved); g.addLayers(all, true);
      return;
    }
    if (g._noanimationUnspiderfy) { g._noanimationUnspiderfy(); }
    g._featureGroup.clearLayers();
    for (i = 0; i < leaving.length; i++) { leaving[i].off(handlers, g); delete leaving[i].__parent; }
    for (i = 0; i < all.length; i++) { delete all[i].__parent; }
    for (i = 0; i < added.length; i++) { added[i].on(handlers, g); }
    moveMarkers(moved);
    g._generateInitialClusters();
    g._childMarkerEventHandlers = {};  // every marker has them already: skip _addLayer's on()
    try {
      placing(function () {
        for (i = 0; i < all.length; i++) { g._addLayer(all[i], g._maxZoom); }
      });
    } finally { g._childMarkerEventHandlers = handlers; }
    g._topClusterLevel._recalculateBounds();
    g._topClusterLevel._recursivelyAddChildrenToMap(null, g._zoom, g._currentShownBounds);
  }
  function addMarkers(ms) {
    if (!ms.length) { return; }
    if (cases.group._map) { cases.loading = true; }  // chunkProgress clears it (only called on the map)
    placing(function () { cases.group.addLayers(ms, true); });  // later chunks, if any, project as usual
  }
  // The shared card follows its case: moved, changed or gone.
  function refreshCard(changed, moved) {
    var id = cases.cardId, m = cases.byId[id];
    if (id === null || !map.hasLayer(sharedPopup)) { return; }
    if (!m) { map.closePopup(sharedPopup); cases.cardId = null; return; }
    if (moved[id]) { sharedPopup.setLatLng(m.getLatLng()); }
    if (changed[id]) { sharedPopup.setContent(cardHtml(m.gd)); }
  }
  // base64 of little-endian doubles (widgets/map/state.py: float64s) -> numbers
  function float64s(text) {
    var bin = atob(text), bytes = new Uint8Array(bin.length), i;
    for (i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var view = new DataView(bytes.buffer), out = new Array(bytes.length >> 3);
    for (i = 0; i < out.length; i++) { out[i] = view.getFloat64(i * 8, true); }
    return out;
  }
  // While markercluster still adds markers in chunks (a big set on a slow machine), a
  // change waits: markers removed meanwhile would come back with the next chunk.
  GD.applyCases = function (d) {
    if (cases.loading || cases.waiting.length) {
      cases.waiting.push(d);
      if (cases.waiting.length === 1) { setTimeout(applyWaiting, 10); }
      return JSON.stringify({ waiting: cases.waiting.length });
    }
    return applyCases(d, false);
  };
  function applyWaiting() {
    while (cases.waiting.length && !cases.loading) { applyCases(cases.waiting.shift(), true); }
    if (cases.waiting.length) { setTimeout(applyWaiting, 10); }
  }
  function applyCases(d, waited) {
    var t0 = performance.now();
    var added = [], moved = [], removed = [], restyled = [], changed = {}, movedIds = {};
    var mv = typeof d.moves === 'string' ? float64s(d.moves) : d.moves || [], i, m;
    // moves: [id, lon, lat, id, lon, lat, ...] of the cases that only moved
    for (i = 0; i + 2 < mv.length; i += 3) {
      m = cases.byId[mv[i]];
      if (!m || (m.gd.lon === mv[i + 1] && m.gd.lat === mv[i + 2])) { continue; }
      m.gd.lon = mv[i + 1]; m.gd.lat = mv[i + 2];
      moved.push(m); movedIds[mv[i]] = true;
    }
    (d.upsert || []).forEach(function (c) {
      var m = cases.byId[c.id];
      if (m) { c = L.extend({}, m.gd, c); }  // a patch carries only the changed fields
      if (!m) {
        m = L.marker(ll(c.lon, c.lat), { icon: icons[c.light] || icons.none, title: c.title || '', keyboard: false });
        m.gd = c;
        m.on('click', onCaseClick);
        cases.byId[c.id] = m;
        added.push(m);
        return;
      }
      var old = m.gd;
      m.gd = c;
      changed[c.id] = true;
      if ((old.lon !== c.lon || old.lat !== c.lat) && !movedIds[c.id]) { moved.push(m); movedIds[c.id] = true; }
      if (old.light !== c.light) {
        m.setIcon((c.id === cases.selectedId ? iconsSel : icons)[c.light] || icons.none);
        restyled.push(m);
      }
      if (old.title !== c.title) {
        m.options.title = c.title || '';
        if (m._icon) { m._icon.title = m.options.title; }
      }
    });
    (d.remove || []).forEach(function (id) {
      var m = cases.byId[id];
      if (m) { delete cases.byId[id]; removed.push(m); if (cases.selectedId === id) { cases.selectedId = null; } }
    });
    var t1 = performance.now(), churn = moved.length + removed.length, rebuilt = false;
    if (churn > 200 && churn * 3 > cases.count) {
      // Beyond about a third of the markers (measured), rebuilding all clusters is faster
      // than taking the markers out and putting them back.
      rebuildClusters(added, moved, removed);  // the new markers too, in id order
      rebuilt = true;
    } else {
      // markercluster's own (animated) unspiderfy does nothing during an animation
      if (churn && cases.group._noanimationUnspiderfy) { cases.group._noanimationUnspiderfy(); }
      if (churn) { placing(function () { cases.group.removeLayers(moved.concat(removed)); }); }
      moveMarkers(moved);
      addMarkers(added.concat(moved));
    }
    if (restyled.length && !rebuilt) { cases.group.refreshClusters(restyled); }
    cases.count += added.length - removed.length;
    refreshCard(changed, movedIds);
    var t2 = performance.now();
    autoFit(added.length > 0 || removed.length > 0);
    // for the benchmark and tests: milliseconds spent on the data and on the clusters (and
    // the card), and how
    GD.lastApply = { data: t1 - t0, clusters: t2 - t1, rebuilt: rebuilt, waited: waited };
    return JSON.stringify({ added: added.length, moved: moved.length, removed: removed.length, restyled: restyled.length, rebuilt: rebuilt });
  }
  GD.setView = function (lon, lat, zoom) {  // WGS-84; a programmatic move (never locks)
    programmatic(function () { map.setView(ll(lon, lat), zoom, { animate: false }); });
    return true;
  };
  GD.flyToCase = function (id, zoom) {
    var m = cases.byId[id];
    if (!m) { return false; }
    selectCase(id);
    var z = Math.max(map.getZoom(), zoom || 17);
    map.once('moveend', function () { openCard(m); });
    programmatic(function () {
      if (cfg.animate) { map.flyTo(m.getLatLng(), z, { duration: 0.6 }); } else { map.setView(m.getLatLng(), z, { animate: false }); }
    });
    return true;
  };

  // ---------- cameras and workers ----------
  GD.applyCameras = function (d) {
    (d.remove || []).forEach(function (id) {
      var l = cams.byId[id];
      if (l) { groups.cameras.removeLayer(l); delete cams.byId[id]; cams.count--; }
    });
    (d.upsert || []).forEach(function (c) {
      var l = cams.byId[c.id];
      if (l) { c = L.extend({}, l.gd, c); }
      var style = { fillColor: c.online === false ? '#757575' : '#29b6f6' };
      if (l) { l.setLatLng(ll(c.lon, c.lat)); l.setStyle(style); l.gd = c; return; }
      l = L.circleMarker(ll(c.lon, c.lat), L.extend({
        renderer: canvasMain, radius: 6, color: '#ffffff', weight: 1.5, fillOpacity: 1, bubblingMouseEvents: false
      }, style));
      l.gd = c;
      l.on('click', function (e) {
        if (view.intake) { pick(e.latlng); return; }
        if (GD.bridge) { GD.bridge.cameraClick(l.gd.id); }
      });
      l.on('mouseover', function (e) {
        hoverTip.setContent('📷 ' + esc(l.gd.name) + (l.gd.online === false ? ' (' + T.offline + ')' : ''));
        map.openTooltip(hoverTip, e.latlng);
      });
      l.on('mouseout', function () { map.closeTooltip(hoverTip); });
      cams.byId[c.id] = l; cams.count++;
      groups.cameras.addLayer(l);
    });
    return cams.count;
  };
  function workerIcon(w) {
    return L.divIcon({
      className: 'gd-worker' + (w.online === false ? ' gd-offline' : ''), iconSize: null,
      html: '<i></i><span>' + esc(w.name) + '</span>'
    });
  }
  GD.applyWorkers = function (d) {
    (d.remove || []).forEach(function (id) {
      var m = workers.byId[id];
      if (m) { groups.workers.removeLayer(m); delete workers.byId[id]; workers.count--; }
    });
    (d.upsert || []).forEach(function (w) {
      var m = workers.byId[w.id];
      if (m) { w = L.extend({}, m.gd, w); }
      if (m) {
        m.setLatLng(ll(w.lon, w.lat));
        if (m.gd.name !== w.name || m.gd.online !== w.online) { m.setIcon(workerIcon(w)); }
        m.gd = w; return;
      }
      m = L.marker(ll(w.lon, w.lat), { icon: workerIcon(w), keyboard: false, interactive: false });
      m.gd = w; workers.byId[w.id] = m; workers.count++;
      groups.workers.addLayer(m);
    });
    return workers.count;
  };

  // ---------- tracks and playback ----------
  function posAt(tr, t) {
    var p = tr.pts, n = p.length;
    if (t <= p[0][2]) { return { i: 0, ll: tr.lls[0] }; }
    if (t >= p[n - 1][2]) { return { i: n - 1, ll: tr.lls[n - 1] }; }
    var lo = 0, hi = n - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (p[mid][2] <= t) { lo = mid; } else { hi = mid; } }
    var f = (t - p[lo][2]) / ((p[hi][2] - p[lo][2]) || 1);
    var a = tr.lls[lo], b = tr.lls[hi];
    return { i: lo, ll: L.latLng(a.lat + (b.lat - a.lat) * f, a.lng + (b.lng - a.lng) * f) };
  }
  function drawTracksAt(t) {
    tracks.t = Math.max(tracks.t0, Math.min(tracks.t1, t));
    tracks.items.forEach(function (tr) {
      var at = posAt(tr, tracks.t);
      tr.head.setLatLng(at.ll);
      tr.done.setLatLngs(tr.lls.slice(0, at.i + 1).concat([at.ll]));
    });
    renderPlayback();
  }
  function tick(now) {
    if (!tracks.playing) { tracks.raf = null; return; }
    var dt = tracks.last ? (now - tracks.last) / 1000 : 0;
    tracks.last = now;
    drawTracksAt(tracks.t + dt * tracks.speed);
    if (tracks.t >= tracks.t1) { tracks.playing = false; renderPlayback(); tracks.raf = null; return; }
    tracks.raf = requestAnimationFrame(tick);
  }
  GD.setTracks = function (list) {
    GD.playback({ cmd: 'pause' });
    groups.tracks.clearLayers();
    tracks.items = [];
    var t0 = Infinity, t1 = -Infinity;
    list.forEach(function (tr, k) {
      if (!tr.points || tr.points.length < 1) { return; }
      var pts = tr.points.slice().sort(function (a, b) { return a[2] - b[2]; });
      var lls = pts.map(function (p) { return ll(p[0], p[1]); });
      var color = tr.color || TRACK_COLORS[k % TRACK_COLORS.length];
      var full = L.polyline(lls, { renderer: canvasTracks, color: color, weight: 3, opacity: 0.35, interactive: false });
      var done = L.polyline([lls[0]], { renderer: canvasTracks, color: color, weight: 4, opacity: 0.95, interactive: false });
      var head = L.marker(lls[0], {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'gd-track-head', iconSize: null, html: '<i style="background:' + esc(color) + '"></i><span>' + esc(tr.name) + '</span>' })
      });
      groups.tracks.addLayer(full); groups.tracks.addLayer(done); groups.tracks.addLayer(head);
      tracks.items.push({ id: tr.id, pts: pts, lls: lls, full: full, done: done, head: head });
      t0 = Math.min(t0, pts[0][2]); t1 = Math.max(t1, pts[pts.length - 1][2]);
    });
    tracks.t0 = tracks.items.length ? t0 : 0; tracks.t1 = tracks.items.length ? t1 : 0;
    drawTracksAt(tracks.t0);
    return tracks.items.length;
  };
  GD.playback = function (c) {
    if (c.speed) { tracks.speed = c.speed; }
    if (c.cmd === 'play' && tracks.items.length) {
      if (tracks.t >= tracks.t1) { drawTracksAt(tracks.t0); }
      if (!tracks.playing) { tracks.playing = true; tracks.last = 0; tracks.raf = requestAnimationFrame(tick); }
    } else if (c.cmd === 'pause') {
      tracks.playing = false;
      if (tracks.raf) { cancelAnimationFrame(tracks.raf); tracks.raf = null; }
    } else if (c.cmd === 'seek') {
      drawTracksAt(c.t);
    }
    if (playCtl) { renderPlayback(); }
    return JSON.stringify({ t: tracks.t, t0: tracks.t0, t1: tracks.t1, playing: tracks.playing, speed: tracks.speed });
  };
  GD.trackHeads = function () {
    return JSON.stringify(tracks.items.map(function (tr) {
      var p = tr.head.getLatLng(); return { id: tr.id, lat: p.lat, lng: p.lng };
    }));
  };

  // ---------- introspection (tests, benchmark) ----------
  GD.afterPaint = function (token) {  // after chunked marker loading, two frames later
    function wait() {
      if (cases.loading || cases.waiting.length) { setTimeout(wait, 10); return; }
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { if (GD.bridge) { GD.bridge.paintDone(token); } });
      });
    }
    wait();
    return token;
  };
  GD.state = function () {
    var c = map.getCenter();
    return JSON.stringify({
      center: [c.lng, c.lat], zoom: map.getZoom(), locked: view.locked, intake: view.intake,
      grids: grid.count, cases: cases.count, cameras: cams.count, workers: workers.count,
      tracks: tracks.items.length, labels: grid.labels.getLayers().length,
      towns: countFeatures(groups.towns), villages: countFeatures(groups.villages),
      measure: grid.scale ? grid.scale.title : null, selectedCase: cases.selectedId,
      selectedGrid: grid.selectedId, errors: GD.errors
    });
  };
  function countFeatures(group) {
    var n = 0;
    group.eachLayer(function (l) { n += l.getLayers ? l.getLayers().length : 1; });
    return n;
  }
  GD.gridFill = function (id) { var l = grid.byId[id]; return l ? l.options.fillColor : null; };
  GD.caseInfo = function (id) {
    var m = cases.byId[id];
    if (!m) { return 'null'; }
    var p = m.getLatLng();
    return JSON.stringify({ lat: p.lat, lng: p.lng, light: m.gd.light, visible: !!m._icon, cluster: !!cases.group.getVisibleParent(m) });
  };
  GD.point = function (lon, lat) {  // WGS-84 -> container pixel
    var p = map.latLngToContainerPoint(ll(lon, lat));
    return JSON.stringify([p.x, p.y]);
  };
  GD._debug = { canvas: function () { return canvasMain; }, map: function () { return map; }, cases: function () { return cases.group; } };
  // The case clusters of one zoom level: [{n, lat, lng, ids, icon}] by first id (icon:
  // the class of the cluster's icon when it is on the map), and the cases that stand
  // alone at that level.
  GD.caseClusters = function (zoom) {
    var top = cases.group._topClusterLevel, clusters = [], singles = [];
    function byNumber(a, b) { return a - b; }
    function walk(c) {
      if (c._zoom === zoom) {
        var ids = c.getAllChildMarkers().map(function (m) { return m.gd.id; }).sort(byNumber);
        clusters.push({ n: c.getChildCount(), lat: c._latlng.lat, lng: c._latlng.lng, ids: ids, icon: c._icon ? c._icon.className : null });
        return;
      }
      c._markers.forEach(function (m) { singles.push(m.gd.id); });
      c._childClusters.forEach(walk);
    }
    if (top) { walk(top); }
    clusters.sort(function (a, b) { return a.ids[0] - b.ids[0]; });
    return JSON.stringify({ clusters: clusters, singles: singles.sort(byNumber) });
  };
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
  GD.fireCaseClick = function (id) {
    var m = cases.byId[id];
    if (!m) { return false; }
    m.fire('click', { latlng: m.getLatLng() });
    return true;
  };
  GD.fireCameraClick = function (id) {
    var l = cams.byId[id];
    if (!l) { return false; }
    l.fire('click', { latlng: l.getLatLng() });
    return true;
  };
  GD.fireMapClick = function (lng, lat) {  // display coordinates
    map.fire('click', { latlng: L.latLng(lat, lng) });
    return true;
  };
}());
