/**
 * The live page: one HTML document and one script, plain DOM and canvas, no
 * framework and nothing fetched from outside the process. Kept as strings in
 * the package so `npm run build` (tsc) ships them with no other step. The
 * script avoids backquotes so it can live in this template literal.
 *
 * Every second the script fetches /table and /page/answers (both fixed size), and
 * redraws the whole grid from the status bytes: the same loop over every
 * slot whatever their state, into one ImageData (no per-slot DOM).
 */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>urnd cell</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;font:13px/1.4 system-ui,sans-serif;background:#12161c;color:#d8dee6}
header{padding:8px 14px;background:#1b2129;display:flex;gap:18px;flex-wrap:wrap;align-items:baseline}
header h1{font-size:15px;margin:0}
main{display:flex;gap:14px;padding:12px 14px;align-items:flex-start;flex-wrap:wrap}
#grid{image-rendering:pixelated;border:1px solid #2c3440;cursor:crosshair;display:block}
section{background:#1b2129;padding:8px 10px;border-radius:4px;margin-bottom:10px;min-width:330px;max-width:560px}
h2{font-size:13px;margin:0 0 6px;color:#9fb0c4;font-weight:600}
.k{color:#8b97a6}
.healthy{color:#4cc266}.unhealthy{color:#ff5a6e}.unknown{color:#b3b9c0}.unused{color:#56606c}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
table{border-collapse:collapse;width:100%}td{padding:1px 4px;vertical-align:top}
.in{color:#4cc266}.out{color:#ff5a6e}
canvas.spark{display:block;background:#12161c;margin:2px 0 6px}
#stale{font-weight:600}
a{color:#cfe3ff}
</style></head>
<body>
<header><h1>urnd <span id="role"></span> · cell <span id="cell">…</span></h1>
<span id="counts">loading…</span>
<span><span class="k">config</span> <span id="version">…</span></span>
<span><span class="k">table</span> <span id="stale">…</span></span>
<span id="epoch"></span>
<span class="k" id="frame"></span></header>
<main>
<div><canvas id="grid" width="1" height="1"></canvas>
<div class="k" style="margin-top:4px">
<span><i class="sw" style="background:#2e9e44"></i>healthy</span>
<span><i class="sw" style="background:#d7263d"></i>unhealthy</span>
<span><i class="sw" style="background:#9aa0a6"></i>unknown</span>
<span><i class="sw" style="background:#262d36"></i>unused</span>
· hover a slot, click to pin</div></div>
<div>
<section id="slot"><h2>Slot</h2><div id="detail" class="k">hover a slot</div></section>
<section><h2>Recent changes (slots flipped per second, last 3 min)</h2><canvas class="spark" id="flips" width="540" height="50"></canvas>
<h2>Probe start lateness p99, ms</h2><canvas class="spark" id="late" width="540" height="40"></canvas>
<h2>Tick duration, ms</h2><canvas class="spark" id="tick" width="540" height="40"></canvas></section>
<section><h2>Record sets (click a name for the resolver's reasons)</h2><div id="records" class="k">…</div></section>
</div></main>
<script src="/page.js"></script>
</body></html>
`;

export const PAGE_SCRIPT = String.raw`'use strict';
(function () {
  var HEADER = 10, HEADER_BYTES = HEADER * 8;
  var F = { FORMAT: 0, CAPACITY: 1, NOW: 2, TICKS: 3, TICK_MS: 4, LATE: 5, AGE: 6, EPOCH: 7, PLAN: 8, CHANGES: 9 };
  // Palette index: status byte 0 unknown, 1 healthy, 2 unhealthy; 3 unused slot; 4 an invalid byte.
  var COLORS = [[0x9a, 0xa0, 0xa6], [0x2e, 0x9e, 0x44], [0xd7, 0x26, 0x3d], [0x26, 0x2d, 0x36], [0xff, 0x00, 0xff]];
  var NAMES = ['unknown', 'healthy', 'unhealthy'];
  var HISTORY = 180;
  var grid = document.getElementById('grid');
  var ctx = grid.getContext('2d');
  var state = {
    capacity: 0, cols: 0, rows: 0, px: 1, image: null, words: null, palette: new Uint32Array(5),
    used: null, prev: null, planHash: -1, plan: null, counts: [0, 0, 0], flips: [], late: [], tick: [],
    hover: -1, pinned: -1, openSet: -1, answerRows: null, lastDrawMs: 0, maxDrawMs: 0, frames: 0, lastTable: null, bytes: 0
  };
  var littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  for (var i = 0; i < COLORS.length; i++) {
    var c = COLORS[i];
    state.palette[i] = littleEndian ? ((255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0 : ((c[0] << 24) | (c[1] << 16) | (c[2] << 8) | 255) >>> 0;
  }

  function el(id) { return document.getElementById(id); }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (ch) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch]; }); }

  function layout(capacity) {
    state.capacity = capacity;
    state.cols = Math.ceil(Math.sqrt(capacity));
    state.rows = Math.ceil(capacity / state.cols);
    state.px = Math.max(1, Math.min(8, Math.floor(760 / state.cols)));
    grid.width = state.cols; grid.height = state.rows;
    grid.style.width = (state.cols * state.px) + 'px';
    grid.style.height = (state.rows * state.px) + 'px';
    state.image = ctx.createImageData(state.cols, state.rows);
    state.words = new Uint32Array(state.image.data.buffer);
    state.prev = new Uint8Array(capacity);
    state.used = new Uint8Array(capacity);
  }

  function applyPlan(plan) {
    state.plan = plan;
    state.bySlot = new Map();
    if (state.capacity !== plan.cell.capacity) layout(plan.cell.capacity);
    state.used.fill(0);
    for (var i = 0; i < plan.checks.length; i++) { state.used[plan.checks[i].slot] = 1; state.bySlot.set(plan.checks[i].slot, plan.checks[i]); }
    el('cell').textContent = plan.cell.name + ' (' + plan.cell.capacity.toLocaleString('en') + ' slots, ' + plan.checks.length + ' checks)';
    el('role').textContent = plan.role;
    el('version').textContent = plan.version.slice(0, 12);
    buildRecords(plan);
  }

  // The whole grid from the status bytes: one pass over every slot, the same work in any state.
  function draw(bytes) {
    var t0 = performance.now();
    var words = state.words, used = state.used, palette = state.palette, prev = state.prev;
    var h = 0, u = 0, k = 0, flips = 0, n = state.capacity;
    for (var s = 0; s < n; s++) {
      var b = bytes[s];
      var isUsed = used[s];
      var idx = isUsed === 1 ? (b < 3 ? b : 4) : 3;
      words[s] = palette[idx];
      h += (isUsed & (b === 1)); u += (isUsed & (b === 2)); k += (isUsed & (b === 0));
      flips += (b !== prev[s]) & isUsed;
      prev[s] = b;
    }
    ctx.putImageData(state.image, 0, 0);
    state.counts = [k, h, u];
    state.lastDrawMs = performance.now() - t0;
    state.frames++;
    if (state.frames > 2 && state.lastDrawMs > state.maxDrawMs) state.maxDrawMs = state.lastDrawMs;
    return state.frames === 1 ? 0 : flips;
  }

  function push(series, v) { series.push(v); if (series.length > HISTORY) series.shift(); }

  function spark(id, series, color, bars) {
    var cv = el(id), g = cv.getContext('2d'), w = cv.width, hgt = cv.height;
    g.clearRect(0, 0, w, hgt);
    var max = 0;
    for (var i = 0; i < series.length; i++) if (series[i] > max) max = series[i];
    var step = w / HISTORY;
    g.fillStyle = color; g.strokeStyle = color;
    g.beginPath();
    for (var j = 0; j < series.length; j++) {
      var x = w - (series.length - j) * step;
      var y = max === 0 ? hgt - 1 : hgt - 1 - (series[j] / max) * (hgt - 12);
      if (bars) g.fillRect(x, y, Math.max(1, step - 1), hgt - y);
      else if (j === 0) g.moveTo(x, y); else g.lineTo(x, y);
    }
    if (!bars) g.stroke();
    g.fillStyle = '#8b97a6'; g.font = '10px sans-serif';
    var last = series.length ? series[series.length - 1] : 0;
    g.fillText('max ' + max.toFixed(bars ? 0 : 2) + ' · now ' + last.toFixed(bars ? 0 : 2), 4, 10);
  }

  function loadPlan() {
    return fetch('/page/plan', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(applyPlan);
  }

  function tickOnce() {
    return fetch('/table', { cache: 'no-store' }).then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
      state.bytes = buf.byteLength;
      var head = new Float64Array(buf, 0, HEADER);
      var planHash = head[F.PLAN];
      var ready = planHash === state.planHash && state.plan !== null ? Promise.resolve() : loadPlan().then(function () { state.planHash = planHash; });
      return ready.then(function () {
        var bytes = new Uint8Array(buf, HEADER_BYTES, head[F.CAPACITY]);
        state.lastTable = bytes;
        var flips = draw(bytes);
        push(state.flips, flips);
        push(state.late, Math.max(0, head[F.LATE]));
        push(state.tick, Math.max(0, head[F.TICK_MS]));
        var c = state.counts;
        el('counts').innerHTML = '<span class="healthy">healthy ' + c[1] + '</span> · <span class="unhealthy">unhealthy ' + c[2] + '</span> · <span class="unknown">unknown ' + c[0] + '</span>';
        el('counts').setAttribute('data-counts', JSON.stringify({ healthy: c[1], unhealthy: c[2], unknown: c[0] }));
        var age = head[F.AGE];
        el('stale').textContent = age < 0 ? 'no table yet' : (age.toFixed(1) + ' s old');
        el('stale').className = age < 0 || age > 5 ? 'unhealthy' : '';
        // A DNS process follows an aggregator's frames (epoch, sequence); a process that computes the table counts its ticks.
        el('epoch').innerHTML = head[F.EPOCH] >= 0 ? '<span class="k">follows epoch</span> ' + head[F.EPOCH] + ' <span class="k">frame</span> ' + head[F.TICKS] : '<span class="k">ticks</span> ' + head[F.TICKS];
        el('frame').textContent = 'draw ' + state.lastDrawMs.toFixed(1) + ' ms · ' + (buf.byteLength / 1024).toFixed(0) + ' KiB/s';
        spark('flips', state.flips, '#e0a030', true);
        spark('late', state.late, '#6aa8ff', false);
        spark('tick', state.tick, '#b889ff', false);
        var slot = state.pinned >= 0 ? state.pinned : state.hover;
        if (slot >= 0) showSlot(slot);
      });
    });
  }

  // Record sets: rows built once per plan; each second only their in/out marks and statuses change.
  function buildRecords(plan) {
    var html = '';
    for (var i = 0; i < plan.sets.length; i++) {
      var r = plan.sets[i];
      html += '<div class="set" data-name="' + esc(r.name) + '" data-type="' + r.type + '"><a href="#" class="open" data-set="' + i + '"><b>' + esc(r.name) + '</b></a> ' + r.type + ' <span class="k">' + r.policy + '</span> <span class="healthyCount"></span><table>';
      for (var j = 0; j < r.answers.length; j++) {
        var a = r.answers[j];
        html += '<tr data-answer="' + a.index + '" data-value="' + esc(a.value) + '"><td class="io"></td><td>' + esc(a.value) + '</td><td class="k why">' + (a.check === null ? 'no check' : 'check ' + esc(a.check)) + ' <span class="st"></span></td></tr>';
      }
      html += '</table><div class="k reasons"></div></div>';
    }
    el('records').innerHTML = html || 'no record sets';
    state.answerRows = Array.prototype.slice.call(el('records').querySelectorAll('tr[data-answer]'));
  }

  function answers() {
    return fetch('/page/answers', { cache: 'no-store' }).then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
      if (!state.answerRows) return;
      var bytes = new Uint8Array(buf);
      for (var i = 0; i < state.answerRows.length; i++) {
        var row = state.answerRows[i];
        var b = bytes[Number(row.getAttribute('data-answer'))];
        var eligible = (b & 1) === 1, st = (b >> 2) & 3;
        row.setAttribute('data-eligible', String(eligible));
        var io = row.firstChild;
        io.textContent = eligible ? 'in' : 'out'; io.className = 'io ' + (eligible ? 'in' : 'out');
        var sp = row.querySelector('.st');
        var counted = (b & 2) ? 1 : 2;
        // Say how it counts only where that differs from its status (unknown, inverted, disabled).
        sp.textContent = st === 3 ? '' : 'is ' + NAMES[st] + (st === counted ? '' : ' (counted ' + NAMES[counted] + ')');
        sp.className = 'st ' + (st === 3 ? '' : NAMES[st]);
      }
      if (state.openSet >= 0) openSet(state.openSet);
    });
  }

  // The resolver's words for one set (/explain), while it is open.
  function openSet(i) {
    var r = state.plan.sets[i];
    fetch('/explain?name=' + encodeURIComponent(r.name) + '&type=' + r.type, { cache: 'no-store' }).then(function (x) { return x.json(); }).then(function (e) {
      var set = e.recordSets[0];
      var box = el('records').querySelectorAll('.reasons')[i];
      if (!set || !box) return;
      box.innerHTML = esc(set.outcome) + '<br>' + set.candidates.map(function (c) { return esc(c.value) + ': ' + esc(c.reason); }).join('<br>');
    }).catch(function () {});
  }
  el('records').addEventListener('click', function (ev) {
    var a = ev.target.closest ? ev.target.closest('a.open') : null;
    if (!a) return;
    ev.preventDefault();
    var i = Number(a.getAttribute('data-set'));
    var boxes = el('records').querySelectorAll('.reasons');
    for (var k = 0; k < boxes.length; k++) boxes[k].innerHTML = '';
    state.openSet = state.openSet === i ? -1 : i;
    if (state.openSet >= 0) openSet(i);
  });

  var detailFor = -1, detailBusy = false;
  function showSlot(slot) {
    if (detailBusy) return;
    detailBusy = true;
    fetch('/page/check?slot=' + slot, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (d) {
      detailFor = slot;
      var rows = [['slot', d.slot + (state.pinned === slot ? ' (pinned)' : '')], ['check', d.id === null ? '(unused slot)' : d.id], ['status', '<span class="' + (d.used ? d.status : 'unused') + '">' + d.status + '</span>']];
      if (d.used) {
        rows.push(['target', esc(d.target)]);
        rows.push(['vantages', d.vantages === null ? '—' : d.vantages.map(function (v, i) { return i + ': <span class="' + v + '">' + v + '</span>'; }).join(', ')]);
        rows.push(['last failure', d.lastFailureReason === null ? '—' : esc(d.lastFailureReason)]);
        rows.push(['last change', d.changedAt === null ? 'none seen' : d.changedAt.replace('T', ' ').replace('Z', ' UTC')]);
        rows.push(['record sets', d.recordSets.length ? esc(d.recordSets.join(', ')) : 'none']);
      }
      el('detail').innerHTML = '<table>' + rows.map(function (r) { return '<tr><td class="k">' + r[0] + '</td><td data-field="' + r[0].replace(' ', '-') + '">' + (r[0] === 'check' || r[0] === 'slot' ? esc(r[1]) : r[1]) + '</td></tr>'; }).join('') + '</table>';
      el('detail').setAttribute('data-slot', String(slot));
    }).catch(function () {}).then(function () { detailBusy = false; });
  }

  function slotAt(ev) {
    var rect = grid.getBoundingClientRect();
    var col = Math.floor((ev.clientX - rect.left) / state.px), row = Math.floor((ev.clientY - rect.top) / state.px);
    if (col < 0 || row < 0 || col >= state.cols || row >= state.rows) return -1;
    var s = row * state.cols + col;
    return s < state.capacity ? s : -1;
  }
  grid.addEventListener('mousemove', function (ev) { var s = slotAt(ev); if (s !== state.hover) { state.hover = s; if (s >= 0 && state.pinned < 0) showSlot(s); } });
  grid.addEventListener('click', function (ev) { var s = slotAt(ev); state.pinned = state.pinned === s ? -1 : s; if (s >= 0) { detailBusy = false; showSlot(s); } });

  // One fetch of each a second, started on the second whether or not the last one finished drawing.
  var busy = false;
  function loop() {
    if (busy) return;
    busy = true;
    Promise.all([tickOnce(), answers()]).catch(function (e) { el('stale').textContent = 'unreachable: ' + e.message; el('stale').className = 'unhealthy'; }).then(function () { busy = false; });
  }
  // What tests and scripts read: where a slot is drawn, the counts, the draw time.
  window.urndPage = {
    state: state,
    slotPixel: function (slot) { return { x: slot % state.cols, y: Math.floor(slot / state.cols) }; },
    slotCenter: function (slot) { var r = grid.getBoundingClientRect(); return { x: r.left + (slot % state.cols + 0.5) * state.px, y: r.top + (Math.floor(slot / state.cols) + 0.5) * state.px }; },
    colors: COLORS
  };
  loop();
  setInterval(loop, 1000);
})();
`;
