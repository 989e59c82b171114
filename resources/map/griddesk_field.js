/* GridDesk map page: the field layers (loaded after griddesk_map.js).
 *
 * Cameras (on the grid canvas, click -> gdBridge.cameraClick), grid workers (name
 * markers) and their patrol tracks with the playback control: play, pause, seek
 * and speed over the tracks' time span, each track's head at its interpolated place.
 */
(function () {
  'use strict';

  var GD = window.GD, P = GD._page;
  var cams = P.cams, workers = P.workers, tracks = P.tracks, groups = P.groups, view = P.view;
  var esc = P.esc, ll = P.ll, pick = P.pick;

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
        renderer: P.canvasMain, radius: 6, color: '#ffffff', weight: 1.5, fillOpacity: 1, bubblingMouseEvents: false
      }, style));
      l.gd = c;
      l.on('click', function (e) {
        if (view.intake) { pick(e.latlng); return; }
        if (GD.bridge) { GD.bridge.cameraClick(l.gd.id); }
      });
      l.on('mouseover', function (e) {
        P.hoverTip.setContent('📷 ' + esc(l.gd.name) + (l.gd.online === false ? ' (' + P.T.offline + ')' : ''));
        P.map.openTooltip(P.hoverTip, e.latlng);
      });
      l.on('mouseout', function () { P.map.closeTooltip(P.hoverTip); });
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
  var TRACK_COLORS = ['#00e5ff', '#ff4081', '#76ff03', '#ffab00', '#d500f9', '#1de9b6', '#ff6e40', '#2979ff'];
  function fmtTime(t) {
    var d = new Date(t * 1000);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }
  function renderPlayback() {
    var div = P.playCtl.getContainer();
    div.style.display = tracks.items.length ? '' : 'none';
    var btn = div.querySelector('button'), slider = div.querySelector('input'), label = div.querySelector('span');
    btn.textContent = tracks.playing ? '❚❚ ' + P.T.pause : '▶ ' + P.T.play;
    slider.min = tracks.t0; slider.max = tracks.t1; slider.value = tracks.t;
    label.textContent = tracks.items.length ? fmtTime(tracks.t) : '';
  }
  P.addPlayback = function () {  // called by GD.init
    P.playCtl = P.makeControl('bottomleft', 'gd-playback gd-panel', function (div) {
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
    }).addTo(P.map);
    renderPlayback();
  };
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
      var full = L.polyline(lls, { renderer: P.canvasTracks, color: color, weight: 3, opacity: 0.35, interactive: false });
      var done = L.polyline([lls[0]], { renderer: P.canvasTracks, color: color, weight: 4, opacity: 0.95, interactive: false });
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
    if (P.playCtl) { renderPlayback(); }
    return JSON.stringify({ t: tracks.t, t0: tracks.t0, t1: tracks.t1, playing: tracks.playing, speed: tracks.speed });
  };
  GD.trackHeads = function () {
    return JSON.stringify(tracks.items.map(function (tr) {
      var p = tr.head.getLatLng(); return { id: tr.id, lat: p.lat, lng: p.lng };
    }));
  };

  // ---------- introspection (tests, benchmark) ----------
  GD.fireCameraClick = function (id) {
    var l = cams.byId[id];
    if (!l) { return false; }
    l.fire('click', { latlng: l.getLatLng() });
    return true;
  };
}());
