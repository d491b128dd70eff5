import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Client } from '../../../shared/contract/client';
import { appendLines, emptyLog, lineLevel, makeFilter, type LogState } from '../logModel';
import { Ansi } from './Ansi';

const ROW = 18;

export interface LogViewHandle { focusFilter(): void }

/**
 * A followed log: virtualized (a handful of DOM rows whatever the length), follows the end until the
 * operator scrolls up, and holds still when old lines are dropped at the top.
 */
export const LogView = forwardRef<LogViewHandle, { client: Client; resource: string }>(function LogView({ client, resource }, ref) {
  const [log, setLog] = useState<LogState>(emptyLog);
  const [query, setQuery] = useState('');
  const [follow, setFollow] = useState(true);
  const [showTs, setShowTs] = useState(false);
  const [ended, setEnded] = useState<string | undefined>();
  const scroller = useRef<HTMLDivElement>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  const shift = useRef(0);
  const followRef = useRef(follow);
  followRef.current = follow;
  const filter = useMemo(() => makeFilter(query), [query]);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const seenAtPause = useRef(0);

  useImperativeHandle(ref, () => ({ focusFilter: () => filterInput.current?.focus() }));

  useEffect(() => {
    setLog(emptyLog);
    setEnded(undefined);
    setFollow(true);
    const sub = client.subscribe('logs:follow', { resource, tail: 1000 }, {
      onBatch: (batch) => setLog((s) => {
        const { state, dropped } = appendLines(s, batch);
        // Rows that leave the top while the operator reads further down move the content up; scroll up
        // by as many rows so what is under their eyes stays put.
        if (!followRef.current && dropped.length) shift.current += dropped.filter((l) => filterRef.current.test(l.text)).length;
        return state;
      }),
      onEnd: (e) => setEnded(e ? e.message : 'log stream closed'),
    });
    return () => sub.close();
  }, [client, resource]);

  const visible = useMemo(() => (query.trim() ? log.lines.filter((l) => filter.test(l.text)) : log.lines), [log, filter, query]);

  const v = useVirtualizer({ count: visible.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 30 });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (follow) el.scrollTop = el.scrollHeight;
    else if (shift.current) { el.scrollTop = Math.max(0, el.scrollTop - shift.current * ROW); }
    shift.current = 0;
  }, [visible, follow]);

  const onScroll = () => {
    const el = scroller.current!;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    if (atBottom !== followRef.current) {
      if (!atBottom) seenAtPause.current = log.lines.length ? log.lines[log.lines.length - 1].seq : 0;
      setFollow(atBottom);
    }
  };
  const lastSeq = log.lines.length ? log.lines[log.lines.length - 1].seq : 0;
  const newWhilePaused = follow ? 0 : Math.max(0, lastSeq - seenAtPause.current);

  return (
    <div className="logview">
      <div className="log-toolbar">
        <input
          ref={filterInput}
          className={filter.error ? 'filter invalid' : 'filter'}
          placeholder="Filter (text or /regex/)   press / to focus"
          aria-label="Filter log"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Escape') { setQuery(''); (e.target as HTMLInputElement).blur(); } }}
        />
        {filter.error && <span className="filter-error">{filter.error}</span>}
        <label className="toggle"><input type="checkbox" checked={showTs} onChange={(e) => setShowTs(e.target.checked)} /> timestamps</label>
        <button type="button" className={follow ? 'follow on' : 'follow'} onClick={() => setFollow(!follow)} aria-pressed={follow}>
          {follow ? 'Following' : newWhilePaused ? `Paused · ${newWhilePaused} new ↓` : 'Paused ↓'}
        </button>
        <span className="log-count">{visible.length.toLocaleString()} lines{log.droppedTotal ? ` · ${log.droppedTotal.toLocaleString()} older dropped` : ''}</span>
      </div>
      <div className="log-scroll" ref={scroller} onScroll={onScroll} role="log" aria-label={`Log of ${resource}`} tabIndex={0}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((item) => {
            const l = visible[item.index];
            const level = l.stream === 'system' ? 'system' : lineLevel(l.text);
            return (
              <div
                key={l.seq}
                className={`line${level ? ` line-${level}` : ''}${l.stream === 'stderr' ? ' line-stderr' : ''}`}
                style={{ transform: `translateY(${item.start}px)` }}
                data-seq={l.seq}
              >
                {showTs && l.ts && <span className="ts">{l.ts.replace('T', ' ').slice(0, 23)}</span>}
                <Ansi text={l.text} />
              </div>
            );
          })}
        </div>
      </div>
      {ended && <div className="log-ended">{ended}</div>}
    </div>
  );
});
