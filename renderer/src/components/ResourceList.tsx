import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, memo, useEffect, useImperativeHandle, useRef } from 'react';
import type { PlaneName } from '../../../shared/contract/domain';
import { useStackVersion } from '../hooks/useStore';
import { STATUS_CHIPS, type StatusChip } from '../model/listFilter';
import type { GroupState, RowEntry, StackStore } from '../model/stackStore';
import { StatusDot } from './StatusDot';
import { PoolBar, poolOccupancy } from './PoolBar';
import { kindTag } from '../model/kindTag';

/** Every line has the same height: the virtualizer never measures, and an index maps to a position. */
const ROW = 24;
const estimate = () => ROW;

export interface ResourceListHandle { focusFilter(): void }

interface Props { store: StackStore; selected?: string; onSelect(id: string): void; onOpen(): void }

/**
 * Groups and their resources as one virtual list: whatever the number of resources, only the lines in
 * view (plus a few) are in the DOM. Filters and collapsed groups live in the store, so navigation by
 * keyboard sees exactly what is shown.
 */
export const ResourceList = forwardRef<ResourceListHandle, Props>(function ResourceList({ store, selected, onSelect, onOpen }, ref) {
  useStackVersion(store);
  const scroller = useRef<HTMLDivElement>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  useImperativeHandle(ref, () => ({ focusFilter: () => { filterInput.current?.focus(); filterInput.current?.select(); } }));

  const size = store.listSize();
  const v = useVirtualizer({ count: size, getScrollElement: () => scroller.current, estimateSize: estimate, overscan: 12 });

  // Keep the selection in view when it moves (keyboard, overview click), not on every batch.
  useEffect(() => {
    if (!selected) return;
    const i = store.indexOf(selected);
    if (i >= 0) v.scrollToIndex(i, { align: 'auto' });
  }, [selected, store, v]);

  const manyEndpoints = store.manyEndpoints();
  const { filter } = store;
  const planes = [...store.byPlane.keys()];
  const total = store.rows.size;
  const matched = store.matchedCount();

  const toggleChip = (s: StatusChip) => {
    const next = new Set(filter.statuses);
    if (!next.delete(s)) next.add(s);
    store.setFilter({ statuses: next });
  };
  const togglePlane = (p: PlaneName) => {
    const next = new Set(filter.planes);
    if (!next.delete(p)) next.add(p);
    store.setFilter({ planes: next });
  };

  return (
    <nav className="sidebar" aria-label="Resources">
      <div className="list-head">
        <input
          ref={filterInput}
          className="filter list-filter"
          placeholder="Filter resources by name   (f)"
          aria-label="Filter resources"
          aria-keyshortcuts="f Control+K"
          value={filter.text}
          onChange={(e) => store.setFilter({ text: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === 'Escape') { store.setFilter({ text: '' }); e.currentTarget.blur(); }
            else if (e.key === 'Enter' || e.key === 'ArrowDown') {
              // From the filter straight into the list: the first match, unless the selection is still shown.
              e.preventDefault();
              e.currentTarget.blur();
              if (!selected || store.indexOf(selected) < 0) { const first = store.step(undefined, 1); if (first) onSelect(first); }
            }
          }}
        />
        <div className="chips" role="group" aria-label="Filter by status">
          {STATUS_CHIPS.map((s) => {
            const n = s === 'ok' ? store.counts.ok + store.counts.not_applicable : store.counts[s];
            return (
              <button key={s} type="button" className={`chip chip-${s}`} aria-pressed={filter.statuses.has(s)} onClick={() => toggleChip(s)}>
                {s} <span className="chip-n">{n.toLocaleString()}</span>
              </button>
            );
          })}
        </div>
        {planes.length > 1 && (
          <div className="chips" role="group" aria-label="Filter by plane">
            {planes.map((p) => <button key={p} type="button" className="chip" aria-pressed={filter.planes.has(p)} onClick={() => togglePlane(p)}>{p}</button>)}
          </div>
        )}
        <div className="list-tools">
          <span className="list-count">{matched === total ? `${total.toLocaleString()} resources` : `${matched.toLocaleString()} of ${total.toLocaleString()}`}</span>
          {!store.loading.done && store.loading.started && <span className="list-count">loading {store.loading.received.toLocaleString()}/{store.loading.total.toLocaleString()}</span>}
          <span className="spacer" />
          <button type="button" className="small" onClick={() => store.setAllCollapsed(true)}>Collapse all</button>
          <button type="button" className="small" onClick={() => store.setAllCollapsed(false)}>Expand all</button>
        </div>
      </div>
      <div className="list-scroll" ref={scroller}>
        <ul role="listbox" aria-label="Resources" style={{ height: v.getTotalSize() }}>
          {v.getVirtualItems().map((vi) => {
            const it = store.itemAt(vi.index);
            if (!it) return null;
            return it.kind === 'group' ? (
              <GroupHeader
                key={vi.key}
                top={vi.start}
                group={it.group}
                version={it.group.version}
                shown={it.shown}
                filtered={matched !== total}
                collapsed={it.collapsed}
                endpointName={manyEndpoints ? store.endpoint(it.group.endpoint)?.name ?? it.group.endpoint : undefined}
                onToggle={store.toggleCollapsed}
              />
            ) : (
              <Row key={vi.key} top={vi.start} entry={it.entry} selected={it.entry.row.id === selected} onSelect={onSelect} onOpen={onOpen} />
            );
          })}
        </ul>
      </div>
    </nav>
  );
});

interface HeaderProps {
  top: number; group: GroupState; version: number; shown: number; filtered: boolean; collapsed: boolean;
  endpointName?: string; onToggle(key: string): void;
}

// `version` stands for the group's counts, which change in place.
const GroupHeader = memo(function GroupHeader({ top, group: g, shown, filtered, collapsed, endpointName, onToggle }: HeaderProps) {
  const c = g.counts;
  const healthy = c.ok + c.not_applicable;
  return (
    <li className="group-head" data-group={g.name} data-endpoint={g.endpoint} role="presentation" style={{ transform: `translateY(${top}px)` }}>
      <button type="button" className="group-toggle" aria-expanded={!collapsed} onClick={() => onToggle(g.key)} title={`${g.kind} ${g.name}${endpointName ? ` on ${endpointName}` : ''}`}>
        <span className="chev" aria-hidden="true">{collapsed ? '▸' : '▾'}</span>
        <span className="group-name">{g.name}</span>
        {endpointName && <span className="group-endpoint">{endpointName}</span>}
      </button>
      <span className="counts">
        {c.error > 0 && <span className="count count-error" title="error">{c.error}</span>}
        {c.warning > 0 && <span className="count count-warning" title="warning">{c.warning}</span>}
        {c.pending > 0 && <span className="count count-pending" title="pending">{c.pending}</span>}
        {c.unknown > 0 && <span className="count count-unknown" title="unknown">{c.unknown}</span>}
        <span className="count count-ok" title="healthy / all">{healthy}/{g.members.length}</span>
        {filtered && <span className="count count-shown" title="matching the filter">{shown} shown</span>}
      </span>
    </li>
  );
});

const Row = memo(function Row({ top, entry, selected, onSelect, onOpen }: { top: number; entry: RowEntry; selected: boolean; onSelect(id: string): void; onOpen(): void }) {
  const r = entry.row;
  const occ = poolOccupancy(r);
  const tag = kindTag(r.plane, r.kind);
  return (
    <li
      role="option"
      aria-selected={selected}
      className={selected ? 'res selected' : 'res'}
      data-resource={r.id}
      onClick={() => onSelect(r.id)}
      onDoubleClick={onOpen}
      title={r.reason?.text}
      style={{ transform: `translateY(${top}px)` }}
    >
      <StatusDot status={entry.status} />
      {tag && <span className="res-kind" title={r.kind}>{tag}</span>}
      <span className="res-name">{r.name}</span>
      {occ && <PoolBar used={occ.used} slots={occ.slots} />}
      {r.reason && <span className={`res-reason sev-${r.reason.severity}`}>{r.reason.text}</span>}
    </li>
  );
});
