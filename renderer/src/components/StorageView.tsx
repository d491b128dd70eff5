import { Fragment, useMemo, type ReactNode } from 'react';
import type { Reason, Resource } from '../../../shared/contract/domain';
import type { StackStore } from '../model/stackStore';
import { buildStorageTables, rowResourceId, type ClaimRow, type ClassRow, type PVRow } from '../storage/table';
import { StatusDot } from './StatusDot';

interface Props {
  /** The context's `storage` resource at the full level: its facts are the rows, its reasons the explanations. */
  resource: Resource;
  store: StackStore;
  onSelect(id: string): void;
}

const dash = (v: string | undefined) => v ?? '—';

function Explanations({ reasons, span }: { reasons: readonly Reason[]; span: number }) {
  if (!reasons.length) return null;
  return (
    <tr className="storage-why">
      <td />
      <td colSpan={span - 1}>
        <ul>{reasons.map((x, i) => <li key={i} className={`reason sev-${x.severity}`}>{x.text}</li>)}</ul>
      </td>
    </tr>
  );
}

/**
 * Every claim, PV and storage class of one kube context, with the rules' explanations under the rows
 * they concern and the worst rows first. Names lead to the object's own resource (its events, its pod).
 */
export function StorageView({ resource, store, onSelect }: Props) {
  const t = useMemo(() => buildStorageTables(resource), [resource]);
  const ep = resource.endpoint;
  const link = (id: string, text: string): ReactNode =>
    store.rows.has(id) ? <button type="button" className="link" onClick={() => onSelect(id)}>{text}</button> : text;
  const dot = (row: ClaimRow | PVRow | ClassRow) => {
    const r = store.rows.get(rowResourceId(ep, row));
    return r ? <StatusDot status={r.status} /> : null;
  };
  const rowClass = (x: { explanations: Reason[] }) => `storage-row${x.explanations[0] ? ` worst-${x.explanations[0].severity}` : ''}`;

  return (
    <section className="storage-view" aria-label="Storage">
      {t.general.length > 0 && (
        <ul className="reasons" aria-label="Across the cluster">
          {t.general.map((x, i) => <li key={i} className={`reason sev-${x.severity}`}>{x.text}</li>)}
        </ul>
      )}
      {t.truncated && <div className="dim storage-note">{t.truncated}: open a claim or PV from the list to see it.</div>}

      <h2>Claims ({t.claims.length})</h2>
      <table className="ov-table storage-table" aria-label="Claims">
        <thead><tr><th /><th>claim</th><th>phase</th><th>asks</th><th>has</th><th>class</th><th>access</th><th>bound PV</th></tr></thead>
        <tbody>
          {t.claims.map((c) => (
            <Fragment key={c.key}>
              <tr className={rowClass(c)} data-row={c.key}>
                <td>{dot(c)}</td>
                <td>{link(rowResourceId(ep, c), `${c.ns}/${c.name}`)}</td>
                <td className={`phase-${c.phase}`}>{c.phase}</td>
                <td>{dash(c.requested)}</td>
                <td>{dash(c.capacity)}</td>
                <td className={c.classMissing ? 'class-missing' : undefined} title={c.classMissing ? 'no storage class of this name exists' : undefined}>
                  {c.storageClass ?? '(default)'}{c.classMissing && ' — does not exist'}
                </td>
                <td>{dash(c.accessModes)}</td>
                <td>{c.volume ? link(`${ep}//pv/${c.volume}`, c.volume) : '—'}</td>
              </tr>
              <Explanations reasons={c.explanations} span={8} />
            </Fragment>
          ))}
        </tbody>
      </table>

      <h2>Persistent volumes ({t.pvs.length})</h2>
      <table className="ov-table storage-table" aria-label="Persistent volumes">
        <thead><tr><th /><th>PV</th><th>phase</th><th>size</th><th>class</th><th>access</th><th>reclaim</th><th>claimRef</th><th>node affinity</th><th>source</th></tr></thead>
        <tbody>
          {t.pvs.map((v) => {
            const [ns, name] = v.claimRef?.split('/') ?? [];
            return (
              <Fragment key={v.key}>
                <tr className={rowClass(v)} data-row={v.key}>
                  <td>{dot(v)}</td>
                  <td>{link(rowResourceId(ep, v), v.name)}</td>
                  <td className={`phase-${v.phase}`}>{v.phase}</td>
                  <td>{dash(v.capacity)}</td>
                  <td>{v.storageClass ?? 'none'}</td>
                  <td>{dash(v.accessModes)}</td>
                  <td>{dash(v.reclaimPolicy)}</td>
                  <td>{v.claimRef ? link(`${ep}/${ns}/pvc/${name}`, v.claimRef) : '—'}</td>
                  <td className="wrap">{dash(v.nodeAffinity)}</td>
                  <td className="wrap">{dash(v.source)}</td>
                </tr>
                <Explanations reasons={v.explanations} span={10} />
              </Fragment>
            );
          })}
        </tbody>
      </table>

      <h2>Storage classes ({t.classes.length})</h2>
      <table className="ov-table storage-table" aria-label="Storage classes">
        <thead><tr><th /><th>class</th><th>provisioner</th><th>reclaim</th><th>binding</th><th>default</th><th>expandable</th></tr></thead>
        <tbody>
          {t.classes.map((k) => (
            <Fragment key={k.key}>
              <tr className={rowClass(k)} data-row={k.key}>
                <td>{dot(k)}</td>
                <td>{link(rowResourceId(ep, k), k.name)}</td>
                <td>{k.provisioner}</td>
                <td>{dash(k.reclaimPolicy)}</td>
                <td>{dash(k.bindingMode)}</td>
                <td>{k.isDefault ? 'yes' : ''}</td>
                <td>{k.expandable ? 'yes' : ''}</td>
              </tr>
              <Explanations reasons={k.explanations} span={7} />
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );
}
