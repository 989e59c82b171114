/* GridDesk map page, the core: the GD namespace, shared state and helpers, view
 * fitting and locking, GD.init, the bridge to Python and the paint acknowledgement.
 *
 * folium builds the page (Leaflet map, basemap tile layer) and calls
 * GD.init(map, config, baseLayer). Python (widgets/map/view.py) then pushes data
 * with runJavaScript calls such as GD.setGrids(fc) or GD.applyCases({upsert, remove})
 * that carry only what changed; the page is never reloaded for new data. User
 * actions go back through the QWebChannel object `gdBridge` (widgets/map/bridge.py).
 *
 * The page logic is split over plain scripts that share the one global `GD`, loaded
 * in this order (widgets/map/assets.py): griddesk_canvas.js (grid renderer), this
 * file, then griddesk_cases.js (case markers and clustering), griddesk_areas.js
 * (boundaries, grids, choropleth) and griddesk_field.js (cameras, grid workers,
 * patrol tracks). They reach this file's state and helpers through `GD._page`.
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
  var GD = window.GD = { ready: false, bridge: null, errors: [] };
  // What the page's other files share with this one: the state of the layers, the
  // helpers below and, from GD.init on, the map, its configuration (cfg), texts (T),
  // renderers, controls, popup and tooltip. Internal to the page; Python never uses it.
  var P = GD._page = {
    groups: {},
    grid: { layer: null, byId: {}, order: [], values: {}, scale: null, selectedId: null, labels: null, count: 0 },
    cases: { group: null, byId: {}, selectedId: null, cardId: null, count: 0, loading: false, waiting: [] },
    cams: { byId: {}, count: 0 },
    workers: { byId: {}, count: 0 },
    tracks: { items: [], t0: 0, t1: 0, t: 0, playing: false, speed: 60, raf: null, last: 0 },
    view: { locked: false, prog: 0, lastInput: 0, fitted: false, intake: false },
    icons: {}, iconsSel: {},
    map: null, cfg: null, T: null, canvasMain: null, canvasBounds: null, canvasTracks: null,
    legend: null, playCtl: null, sharedPopup: null, hoverTip: null
  };
  var groups = P.groups, grid = P.grid, cases = P.cases, cams = P.cams, workers = P.workers;
  var tracks = P.tracks, view = P.view;
  var map, cfg, T, control, lockCtl, hintCtl, pickMarker = null;

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

  // ---------- init ----------
  GD.init = function (leafletMap, config, baseLayer) {
    map = P.map = leafletMap; cfg = P.cfg = config; T = P.T = I18N[cfg.lang] || I18N.en;
    // markercluster needs a finite maxZoom, and builds its clusters for every level between
    map.setMinZoom(cfg.minZoom === undefined ? 6 : cfg.minZoom); map.setMaxZoom(20);
    document.body.classList.add('gd-theme-' + cfg.theme);
    if (map.attributionControl) { map.attributionControl.setPrefix(false); }

    [['gdGrids', 400], ['gdBounds', 410], ['gdTracks', 420], ['gdLabels', 450]].forEach(function (p) {
      map.createPane(p[0]).style.zIndex = p[1];
    });
    P.canvasMain = new window.GDBatchCanvas({ pane: 'gdGrids', tolerance: 2 });
    P.canvasBounds = L.canvas({ pane: 'gdBounds' });
    P.canvasTracks = L.canvas({ pane: 'gdTracks' });

    groups.grids = L.layerGroup().addTo(map);
    groups.towns = L.layerGroup().addTo(map);
    groups.villages = L.layerGroup().addTo(map);
    groups.tracks = L.layerGroup().addTo(map);
    groups.cameras = L.layerGroup().addTo(map);
    groups.workers = L.layerGroup().addTo(map);
    grid.labels = L.layerGroup().addTo(map);
    P.addCaseLayer();  // griddesk_cases.js: the cluster group, groups.cases and the icons

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
    map.on('overlayadd', function (e) { if (e.layer === groups.grids) { map.addLayer(grid.labels); P.refreshLabels(); } });

    P.addLegend();  // griddesk_areas.js
    lockCtl = makeControl('topleft', 'gd-lock gd-panel', function (div) {
      div.textContent = '🔒 ' + T.locked;
      div.title = T.locked;
      L.DomEvent.on(div, 'click', function () { GD.unlockView(); });
    }).addTo(map);
    lockCtl.getContainer().style.display = 'none';
    hintCtl = makeControl('topleft', 'gd-hint gd-panel', function (div) { div.textContent = T.intake; }).addTo(map);
    hintCtl.getContainer().style.display = 'none';
    P.addPlayback();  // griddesk_field.js

    P.sharedPopup = L.popup({ maxWidth: 320, autoPan: !cfg.wallMode, className: 'gd-popup' });
    P.hoverTip = L.tooltip({ sticky: true, direction: 'top', offset: [0, -6], className: 'gd-tip' });

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
    map.on('moveend', P.refreshLabels);
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
  GD.setView = function (lon, lat, zoom) {  // WGS-84; a programmatic move (never locks)
    programmatic(function () { map.setView(ll(lon, lat), zoom, { animate: false }); });
    return true;
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
  GD.point = function (lon, lat) {  // WGS-84 -> container pixel
    var p = map.latLngToContainerPoint(ll(lon, lat));
    return JSON.stringify([p.x, p.y]);
  };
  GD._debug = { canvas: function () { return P.canvasMain; }, map: function () { return map; }, cases: function () { return cases.group; } };
  GD.fireMapClick = function (lng, lat) {  // display coordinates
    map.fire('click', { latlng: L.latLng(lat, lng) });
    return true;
  };

  P.esc = esc; P.ll = ll; P.coordsToLatLng = coordsToLatLng; P.classOf = classOf;
  P.programmatic = programmatic; P.fitTo = fitTo; P.wantsFit = wantsFit; P.autoFit = autoFit;
  P.makeControl = makeControl; P.pick = pick;
}());
