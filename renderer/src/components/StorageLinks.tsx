import type { PlaneEndpoint } from '../../../shared/contract/domain';
import { useStackVersion } from '../hooks/useStore';
import type { StackStore } from '../model/stackStore';
import { storageResourceId } from '../storage/table';
import { StatusDot } from './StatusDot';

/**
 * A "Storage" entry per kube context, leading to that context's storage view. A context whose claims,
 * PVs and classes are not listed (yet, or none exist) has its entry disabled, saying why.
 */
export function StorageLinks({ endpoints, store, selected, onSelect }: { endpoints: readonly PlaneEndpoint[]; store: StackStore; selected?: string; onSelect(id: string): void }) {
  // Re-read on every batch (a few buttons): the storage resource appears once its kinds are listed.
  useStackVersion(store);
  const kube = endpoints.filter((e) => e.plane === 'kube');
  if (!kube.length) return null;
  return (
    <nav className="storage-links" aria-label="Storage per context">
      {kube.map((e) => {
        const id = storageResourceId(e.id);
        const entry = store.rows.get(id);
        return (
          <button key={e.id} type="button" className={`small storage-link${selected === id ? ' current' : ''}`} data-endpoint={e.id} disabled={!entry}
            title={entry ? `Claims, volumes and storage classes of ${e.name}` : `${e.name}: no claim, volume or storage class listed${e.state === 'connected' ? '' : ` (${e.state})`}`}
            onClick={() => onSelect(id)}>
            {entry && <StatusDot status={entry.status} />} Storage · {e.name}
          </button>
        );
      })}
    </nav>
  );
}
