import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { relativeTime } from '../model/relativeTime';
import type { StackStore } from '../model/stackStore';
import { StatusDot, statusLabel } from './StatusDot';

const ROW_PX = 24;
const estimate = () => ROW_PX;

/**
 * Everything that is not ok, worst first. Virtualized like the resource list: with 2,000 problems a plain
 * table costs the page long layout tasks on every batch; this keeps a screenful of rows in the DOM.
 */
export function ProblemTable({ store, rows, now, many, onSelect }: {
  store: StackStore;
  rows: ReturnType<StackStore['problemRows']>['rows'];
  now: number;
  many: boolean;
  onSelect(id: string): void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: estimate, overscan: 8 });
  const cols = many ? 'ov-grid ov-grid-ep' : 'ov-grid';
  return (
    <div className="ov-problems" role="table" aria-label="Not ok">
      <div className={`${cols} ov-head`} role="row">
        <span role="columnheader" /><span role="columnheader">resource</span><span role="columnheader">group</span>
        {many && <span role="columnheader">endpoint</span>}<span role="columnheader">reason</span><span role="columnheader">since</span>
      </div>
      <div className="ov-scroll" ref={scroller}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }} role="rowgroup">
          {v.getVirtualItems().map((vi) => {
            const { row: r, status } = rows[vi.index];
            return (
              <div key={r.id} role="row" className={`${cols} ov-row`} data-problem={r.id} onClick={() => onSelect(r.id)}
                style={{ transform: `translateY(${vi.start}px)`, height: ROW_PX }}>
                <span role="cell"><StatusDot status={status} /></span>
                <span role="cell" className="ov-name">{r.name}</span>
                <span role="cell">{r.group.name}</span>
                {many && <span role="cell">{store.endpoint(r.endpoint)?.name ?? r.endpoint}</span>}
                <span role="cell" className={r.reason ? `sev-${r.reason.severity}` : 'dim'} title={r.reason?.text}>{r.reason?.text ?? statusLabel(status)}</span>
                <span role="cell" className="dim">{r.since ? relativeTime(r.since, now) : ''}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
