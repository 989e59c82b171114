/* GridDesk map page: the case layer and its clustering (loaded after griddesk_map.js).
 *
 * Case markers in a markercluster group: worst-light cluster icons, the shared case
 * card, selection, and GD.applyCases, which takes only what changed (upserts, removals
 * and packed `moves`) and waits while markercluster still adds markers in chunks. Mass
 * moves rebuild the cluster tree through markercluster 1.4.1 internals, with the
 * `CaseGrid` distance grid and a projection cache that give the same clusters faster.
 */
(function () {
  'use strict';

  var GD = window.GD, P = GD._page;
  var cases = P.cases, groups = P.groups, view = P.view, icons = P.icons, iconsSel = P.iconsSel;
  var esc = P.esc, ll = P.ll, pick = P.pick, programmatic = P.programmatic, autoFit = P.autoFit;

  var LIGHT_RANK = { none: 0, green: 1, yellow: 2, red: 3 };
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
      '</b> · ' + esc((P.T.light[c.light] || c.light)) + '</div><div class="gd-card-title">' + esc(c.title) + '</div>'];
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
    P.sharedPopup.setLatLng(m.getLatLng()).setContent(cardHtml(m.gd));
    P.sharedPopup.options.offset = L.point(0, -8);
    P.map.openPopup(P.sharedPopup);
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
  // Called by GD.init: the cluster group on the map, and the case icons.
  P.addCaseLayer = function () {
    cases.group = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, disableClusteringAtZoom: 17,
      maxClusterRadius: 50, spiderfyOnMaxZoom: false, iconCreateFunction: clusterIcon,
      chunkProgress: function (done, total) { cases.loading = done < total; }
    });
    useCaseGrids(cases.group);
    cases.group.addTo(P.map);
    groups.cases = cases.group;
    ['none', 'green', 'yellow', 'red'].forEach(function (light) {
      icons[light] = L.divIcon({ className: 'gd-case gd-light-' + light, html: '<b></b>', iconSize: [16, 16] });
      iconsSel[light] = L.divIcon({ className: 'gd-case gd-selected gd-light-' + light, html: '<b></b>', iconSize: [24, 24] });
    });
  };

  // markercluster (1.4.1, pinned by xstatic-leaflet-markercluster) places a marker by
  // projecting it once per zoom level (minZoom..16, 11 levels) and looking for a cluster
  // or marker near it in each level's grid. While GridDesk re-places markers in bulk,
  // map.project is swapped for one that projects each point once, at zoom 0, and scales
  // it by 2^zoom: a power-of-two scale is exact in floating point, so every number (and
  // therefore the tree) is the same as markercluster's own, at a tenth of the cost.
  var projectProto = L.Map.prototype.project;
  function fastProject(latlng, zoom) {
    if (!(latlng instanceof L.LatLng) || zoom !== (zoom | 0) || P.map.options.crs !== L.CRS.EPSG3857) {
      return projectProto.call(P.map, latlng, zoom);
    }
    var p = latlng._gdP;
    if (p === undefined || latlng._gdLat !== latlng.lat || latlng._gdLng !== latlng.lng) {
      p = latlng._gdP = P.map.options.crs.latLngToPoint(latlng, 0);
      latlng._gdLat = latlng.lat; latlng._gdLng = latlng.lng;
    }
    var s = Math.pow(2, zoom);
    return new L.Point(p.x * s, p.y * s);
  }
  function placing(fn) {
    P.map.project = fastProject;
    try { fn(); } finally { delete P.map.project; }
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
    if (id === null || !P.map.hasLayer(P.sharedPopup)) { return; }
    if (!m) { P.map.closePopup(P.sharedPopup); cases.cardId = null; return; }
    if (moved[id]) { P.sharedPopup.setLatLng(m.getLatLng()); }
    if (changed[id]) { P.sharedPopup.setContent(cardHtml(m.gd)); }
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
  GD.flyToCase = function (id, zoom) {
    var m = cases.byId[id];
    if (!m) { return false; }
    selectCase(id);
    var z = Math.max(P.map.getZoom(), zoom || 17);
    P.map.once('moveend', function () { openCard(m); });
    programmatic(function () {
      if (P.cfg.animate) { P.map.flyTo(m.getLatLng(), z, { duration: 0.6 }); } else { P.map.setView(m.getLatLng(), z, { animate: false }); }
    });
    return true;
  };

  // ---------- introspection (tests, benchmark) ----------
  GD.caseInfo = function (id) {
    var m = cases.byId[id];
    if (!m) { return 'null'; }
    var p = m.getLatLng();
    return JSON.stringify({ lat: p.lat, lng: p.lng, light: m.gd.light, visible: !!m._icon, cluster: !!cases.group.getVisibleParent(m) });
  };
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
  GD.fireCaseClick = function (id) {
    var m = cases.byId[id];
    if (!m) { return false; }
    m.fire('click', { latlng: m.getLatLng() });
    return true;
  };
}());
