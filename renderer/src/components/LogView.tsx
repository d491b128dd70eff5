import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState } from 'react';
import type { Client } from '../../../shared/contract/client';
import { emptyModel, ingest, refilter, type LogModel } from '../logModel';
import { hasChoice, parseContainers, stillThere } from '../logs/containers';
import { downloadName, rowsToText } from '../logs/export';
import { keptRows, rowAt } from '../logs/kept';
import { LogRow } from '../logs/LogRow';
import { nextError } from '../logs/navigate';
import { clickRow, isSelected, selectedBounds, selectedRows, type Selection } from '../logs/selection';
import type { Severity } from '../logs/severity';
import { viewAbs, viewCount, viewIndexFrom } from '../logs/view';

const ROW = 18;

export interface LogViewHandle { focusFilter(): void }

/** What is under the top of the viewport while paused: the view puts it back there after every batch. */
interface Anchor { abs: number; delta: number }

/**
 * A followed log: virtualized (a handful of DOM rows whatever the length), follows the end until the
 * operator scrolls up, and holds still when old lines are dropped at the top. Filtering extends an index
 * batch by batch (logs/view.ts); the whole log is filtered again only when the query changes.
 */
interface Props {
  client: Client;
  resource: string;
  /** The resource's `containers` fact (kube pods and workloads): offers a container picker and the previous instance. */
  containers?: string;
}

export const LogView = forwardRef<LogViewHandle, Props>(function LogView({ client, resource, containers }, ref) {
  const [model, setModel] = useState<LogModel>(() => emptyModel());
  const modelRef = useRef(model);
  const [follow, setFollow] = useState(true);
  const [showTs, setShowTs] = useState(false);
  const [wrap, setWrap] = useState(false);
  const [selection, setSelection] = useState<Selection | undefined>();
  const [note, setNote] = useState('');
  const [ended, setEnded] = useState<string | undefined>();
  // A resource with no log at all (a host, an alert, a pool): one line, not an empty reader with its tools.
  const [noLog, setNoLog] = useState<string | undefined>();
  const choices = parseContainers(containers);
  const [picked, setPicked] = useState<string | undefined>();
  const [previous, setPrevious] = useState(false);
  // A container a new rollout no longer has falls back to all of them.
  const container = stillThere(picked, choices);
  const scroller = useRef<HTMLDivElement>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  const anchor = useRef<Anchor | undefined>(undefined);
  const followRef = useRef(follow);
  followRef.current = follow;
  const seenAtPause = useRef(0);

  const update = (m: LogModel) => { modelRef.current = m; setModel(m); };

  useImperativeHandle(ref, () => ({ focusFilter: () => filterInput.current?.focus() }));

  useEffect(() => {
    const m = modelRef.current;
    update(emptyModel(m.query, m.severity));
    setEnded(undefined);
    setNoLog(undefined);
    setFollow(true);
    setSelection(undefined);
    const only = container ? { container } : {};
    if (previous) {
      // The instance before the last restart has ended: read once, never followed.
      let live = true;
      client.request('logs:tail', { resource, tail: 1000, previous: true, ...only })
        .then(({ lines }) => {
          if (!live) return;
          update(ingest(modelRef.current, lines).model);
          setEnded(`previous instance${container ? ` of ${container}` : 's'} (before the last restart): ${lines.length} line${lines.length === 1 ? '' : 's'}, ended`);
        })
        .catch((e: Error) => { if (live) setEnded(e.message); });
      return () => { live = false; };
    }
    const sub = client.subscribe('logs:follow', { resource, tail: 1000, ...only }, {
      // The model lives in a ref so that a batch is applied exactly once, outside any state updater.
      onBatch: (batch) => update(ingest(modelRef.current, batch).model),
      onEnd: (e) => {
        if (e?.code === 'not-found' && modelRef.current.kept.end === 0) setNoLog(e.message);
        else setEnded(e ? e.message : 'log stream closed');
      },
    });
    return () => sub.close();
  }, [client, resource, container, previous]);

  const { kept, view } = model;
  const count = viewCount(view, kept);
  const filterError = view.query.text.error;

  const getItemKey = useCallback((i: number) => viewAbs(view, kept, i), [view, kept]);
  const v = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    getItemKey,
    overscan: wrap ? 6 : 30,
  });

  // Sizes measured while wrapping mean nothing once lines are one row each again, and the other way round.
  useEffect(() => { v.measure(); }, [wrap, v]);

  /** The index of the shown row at a pixel offset, by binary search over the virtualizer's row positions. */
  const indexAt = (offset: number): number => {
    const ms = v.measurementsCache;
    let lo = 0;
    let hi = Math.min(count, ms.length) - 1;
    if (hi < 0) return -1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ms[mid].start <= offset) lo = mid; else hi = mid - 1; }
    return lo;
  };

  const captureAnchor = () => {
    const el = scroller.current;
    const i = el ? indexAt(el.scrollTop) : -1;
    anchor.current = i < 0 ? undefined : { abs: viewAbs(view, kept, i), delta: el!.scrollTop - v.measurementsCache[i].start };
  };

  const totalSize = v.getTotalSize();
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (follow) { el.scrollTop = el.scrollHeight; anchor.current = undefined; return; }
    if (!anchor.current) { captureAnchor(); return; }
    // Rows that left the top, or a new filter, move the content; put the row that was under the operator's
    // eyes back where it was.
    const i = viewIndexFrom(view, kept, anchor.current.abs);
    const m = i < count ? v.measurementsCache[i] : undefined;
    if (!m) return;
    const top = Math.max(0, m.start + (viewAbs(view, kept, i) === anchor.current.abs ? anchor.current.delta : 0));
    if (Math.abs(el.scrollTop - top) >= 1) el.scrollTop = top;
  }, [model, follow, wrap, totalSize]);

  const onScroll = () => {
    const el = scroller.current!;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    if (atBottom !== followRef.current) {
      if (!atBottom) seenAtPause.current = kept.end;
      setFollow(atBottom);
    }
    if (!atBottom) captureAnchor();
  };
  // Scrolling up is the operator's wish to read: pause at once. Waiting for the scroll event lets a batch
  // that lands in between put the view back at the end first, and the log seems to fight the wheel.
  const pauseNow = () => {
    if (!followRef.current) return;
    seenAtPause.current = kept.end;
    followRef.current = false;
    setFollow(false);
  };
  const onWheel = (e: React.WheelEvent) => { if (e.deltaY < 0) pauseNow(); };
  const onScrollKey = (e: React.KeyboardEvent) => { if (e.key === 'PageUp' || e.key === 'Home' || e.key === 'ArrowUp') pauseNow(); };
  const newWhilePaused = follow ? 0 : Math.max(0, kept.end - seenAtPause.current);

  const setFilter = (query: string, severity: Severity) => update(refilter(modelRef.current, query, severity));

  const selectionText = () => (selection ? rowsToText(selectedRows(selection, view, kept, count), { timestamps: showTs }) : '');

  const copySelection = async () => {
    const text = selectionText();
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Without clipboard permission the copy event still works: onCopy fills it from the selection.
      document.execCommand('copy');
    }
    setNote(`copied ${text.split('\n').length - 1} line(s)`);
  };

  // Ctrl+C copies the selected rows, unless the operator selected some text with the mouse: theirs wins.
  const copyRef = useRef<(e: ClipboardEvent) => void>(() => undefined);
  copyRef.current = (e) => {
    const own = window.getSelection();
    if (!selection || (own && !own.isCollapsed && own.toString())) return;
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) return;
    const text = selectionText();
    e.clipboardData?.setData('text/plain', text);
    e.preventDefault();
    setNote(`copied ${text.split('\n').length - 1} line(s)`);
  };

  const download = () => {
    const text = rowsToText(keptRows(modelRef.current.kept), { timestamps: showTs });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = downloadName(resource, new Date());
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  const jump = (dir: 1 | -1) => {
    const el = scroller.current;
    if (!el) return;
    const top = indexAt(el.scrollTop);
    const bottom = indexAt(el.scrollTop + el.clientHeight - 1);
    const picked = selection ? viewIndexFrom(view, kept, selection.head) : -1;
    // From the picked row while it is in sight; else from what is on screen, so an error in sight is the
    // first one found, and a selection left far behind does not drag the search back there.
    const from = selection && picked >= top && picked <= bottom ? picked : dir === 1 ? top - 1 : bottom + 1;
    const i = nextError(view, kept, count, from, dir);
    if (i === undefined) { setNote(dir === 1 ? 'no error below' : 'no error above'); return; }
    const abs = viewAbs(view, kept, i);
    setNote('');
    setSelection({ anchor: abs, head: abs });
    pauseNow();
    v.scrollToIndex(i, { align: 'center' });
    requestAnimationFrame(captureAnchorLater);
  };
  const captureAnchorLater = () => captureAnchor();
  const jumpRef = useRef(jump);
  jumpRef.current = jump;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector('.modal-backdrop')) return;
      const t = e.target;
      if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'n' || e.key === ']') { e.preventDefault(); jumpRef.current(1); }
      else if (e.key === 'N' || e.key === '[') { e.preventDefault(); jumpRef.current(-1); }
    };
    const onCopy = (e: ClipboardEvent) => copyRef.current(e);
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    return () => { window.removeEventListener('keydown', onKey); document.removeEventListener('copy', onCopy); };
  }, []);

  const pick = useCallback((abs: number, extend: boolean) => setSelection((s) => clickRow(s, abs, extend)), []);

  const selectedCount = selection ? (() => { const [lo, hi] = selectedBounds(selection); return hi - lo + 1; })() : 0;

  if (noLog) return <div className="logview logview-none" role="note">{noLog}</div>;

  return (
    <div className={wrap ? 'logview wrap' : 'logview'}>
      <div className="log-toolbar">
        <input
          ref={filterInput}
          className={filterError ? 'filter invalid' : 'filter'}
          placeholder="Filter (text or /regex/)   press / to focus"
          aria-label="Filter log"
          value={model.query}
          onChange={(e) => setFilter(e.target.value, model.severity)}
          onKeyDown={(e) => { if (e.key === 'Escape') { setFilter('', model.severity); (e.target as HTMLInputElement).blur(); } }}
        />
        {filterError && <span className="filter-error">{filterError}</span>}
        <select aria-label="Severity" className="severity" value={model.severity} onChange={(e) => setFilter(model.query, e.target.value as Severity)}>
          <option value="all">all levels</option>
          <option value="warn">warn and error</option>
          <option value="error">error only</option>
        </select>
        <button type="button" className="small jump-prev" title="Previous error (N or [)" onClick={() => jump(-1)}>↑ error</button>
        <button type="button" className="small jump-next" title="Next error (n or ])" onClick={() => jump(1)}>↓ error</button>
        {hasChoice(choices) && (
          <select aria-label="Container" className="container-pick" value={container ?? ''} onChange={(e) => setPicked(e.target.value || undefined)}>
            <option value="">all containers</option>
            {choices.map((c) => <option key={c.name} value={c.name}>{c.init ? `${c.name} (init)` : c.name}</option>)}
          </select>
        )}
        {choices.length > 0 && (
          <label className="toggle" title="The log of the container before its last restart (read once; it has ended)">
            <input type="checkbox" aria-label="Previous instance" checked={previous} onChange={(e) => setPrevious(e.target.checked)} /> previous
          </label>
        )}
        <label className="toggle"><input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.target.checked)} /> wrap</label>
        <label className="toggle"><input type="checkbox" checked={showTs} onChange={(e) => setShowTs(e.target.checked)} /> timestamps</label>
        <button type="button" className="small copy" disabled={!selection} onClick={() => void copySelection()} title="Copy the selected lines (Ctrl+C)">
          Copy{selectedCount > 1 ? ` ${selectedCount}` : ''}
        </button>
        <button type="button" className="small download" onClick={download} title="Download every line the page keeps as a .log file">Download</button>
        {/* A previous instance has ended: nothing comes to follow. */}
        {!previous && (
          <button type="button" className={follow ? 'follow on' : 'follow'} onClick={() => setFollow(!follow)} aria-pressed={follow}>
            {follow ? 'Following' : newWhilePaused ? `Paused · ${newWhilePaused} new ↓` : 'Paused ↓'}
          </button>
        )}
        <span className="log-count">{count.toLocaleString()} lines{kept.first ? ` · ${kept.first.toLocaleString()} older dropped` : ''}</span>
      </div>
      <div className="log-scroll" ref={scroller} onScroll={onScroll} onWheel={onWheel} onKeyDown={onScrollKey} role="log" aria-label={`Log of ${resource}`} tabIndex={0}>
        <div className="log-rows" style={{ height: totalSize }}>
          {v.getVirtualItems().map((item) => {
            const r = rowAt(kept, item.key as number);
            return (
              <LogRow
                key={r.abs}
                row={r}
                index={item.index}
                start={item.start}
                selected={isSelected(selection, r.abs)}
                showTs={showTs}
                measure={wrap ? v.measureElement : undefined}
                onPick={pick}
              />
            );
          })}
        </div>
      </div>
      {ended && <div className="log-ended">{ended}</div>}
      <div className="log-keys dim">
        <kbd>n</kbd>/<kbd>]</kbd> next error · <kbd>N</kbd>/<kbd>[</kbd> previous error · click a line number to select, <kbd>Shift</kbd>-click to extend · <kbd>Ctrl C</kbd> copy
        {note && <span className="log-note" role="status"> · {note}</span>}
      </div>
    </div>
  );
});
