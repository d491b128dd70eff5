// Injected into the page before its own scripts (Playwright addInitScript), as plain JavaScript so that
// no bundler helper leaks in. It watches the page from outside, whatever the renderer looks like:
// - the WebSocket: when the page subscribes to stack:watch and when the last snapshot chunk arrives;
// - the DOM: rows (`[data-resource]`) and when a watched row first shows a reason `t=<ms>`;
// - frames: requestAnimationFrame intervals and PerformanceObserver long tasks, between start and stop.
(() => {
  const ROW = '[data-resource]';
  // Every row that stands for a resource, wherever it is drawn: the list and the overview's problem table.
  const ANY_ROW = '[data-resource], [data-problem]';
  const B = (window.__bench = {
    subs: [], frames: [], longtasks: [], rowsMax: 0, listRowsMax: 0, nodesMax: 0, recording: false,
    watched: [], seen: new Map(), latencies: [],
  });

  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      // Registered before the page's own onmessage, so this is when the message arrived, not when it was applied.
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string') return;
        for (const s of B.subs) {
          if (s.done || !e.data.startsWith(`{"t":"batch","id":${s.id},`)) continue;
          if (e.data.includes('"kind":"snapshot"')) { s.chunks++; if (e.data.includes('"done":true')) s.done = performance.now(); }
        }
      });
    }
    send(d) {
      if (typeof d === 'string' && d.includes('"stack:watch"')) {
        try { const m = JSON.parse(d); if (m.t === 'sub') B.subs.push({ id: m.id, input: m.input, at: performance.now(), chunks: 0, done: 0 }); } catch {}
      }
      return super.send(d);
    }
  };

  // Event to screen: the first time a watched row's text carries a stamp, the delay since that stamp.
  const check = () => {
    const now = Date.now();
    for (const id of B.watched) {
      const el = document.querySelector(`${ROW}[data-resource="${CSS.escape(id)}"]`);
      const m = el && /t=(\d{13})/.exec(el.textContent || '');
      if (!m || B.seen.get(id) === m[1]) continue;
      B.seen.set(id, m[1]);
      if (B.recording) B.latencies.push({ id, stamp: Number(m[1]), ms: now - Number(m[1]) });
    }
  };
  new MutationObserver(() => { if (B.watched.length) check(); })
    .observe(document, { subtree: true, childList: true, characterData: true });

  let last = 0;
  const frame = (t) => {
    if (B.recording && last) B.frames.push(t - last);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  try {
    new PerformanceObserver((list) => {
      if (B.recording) for (const e of list.getEntries()) B.longtasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask' });
  } catch {}
  const sample = () => {
    B.rowsMax = Math.max(B.rowsMax, document.querySelectorAll(ANY_ROW).length);
    B.listRowsMax = Math.max(B.listRowsMax, document.querySelectorAll(ROW).length);
    B.nodesMax = Math.max(B.nodesMax, document.getElementsByTagName('*').length);
  };
  setInterval(() => { if (B.recording) sample(); }, 500);

  B.rows = () => document.querySelectorAll(ROW).length;
  /** Resolves when the list is complete on screen: the rows snapshot is in, rows are drawn, no "loading". */
  B.complete = (timeoutMs) => new Promise((resolve) => {
    const t0 = performance.now();
    const tick = () => {
      const subs = B.subs.filter((s) => (s.input?.level ?? 'rows') === 'rows');
      const done = subs.length && subs.every((s) => s.done);
      const loading = [...document.querySelectorAll('.list-count')].some((e) => /loading/i.test(e.textContent || ''));
      if (done && !loading && document.querySelector(ROW)) {
        const at = performance.now();
        return resolve({ subscribedAt: Math.min(...subs.map((s) => s.at)), lastChunkAt: Math.max(...subs.map((s) => s.done)), shownAt: at, chunks: subs.reduce((n, s) => n + s.chunks, 0), rows: B.rows(), groups: document.querySelectorAll('[data-group]').length });
      }
      if (performance.now() - t0 > timeoutMs) return resolve({ timeout: true, subs: B.subs, rows: B.rows() });
      requestAnimationFrame(tick);
    };
    tick();
  });
  /** Ids of the first `n` rows inside the viewport, top first. */
  B.visibleRows = (n, within) => [...document.querySelectorAll(ROW)]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.height > 0 && (!within || el.dataset.resource.includes(within)); })
    .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
    .slice(0, n).map((el) => el.dataset.resource);
  B.watch = (ids) => { B.watched = ids; check(); };
  B.start = () => { B.frames = []; B.longtasks = []; B.latencies = []; B.rowsMax = B.listRowsMax = B.nodesMax = 0; sample(); last = 0; B.recording = true; };
  B.stop = () => { B.recording = false; sample(); return { frames: B.frames, longtasks: B.longtasks, latencies: B.latencies, rowsMax: B.rowsMax, listRowsMax: B.listRowsMax, nodesMax: B.nodesMax }; };
})();
