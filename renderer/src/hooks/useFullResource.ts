import { useEffect, useRef, useState } from 'react';
import type { StreamMessage } from '../../../shared/contract/channels';
import type { Client, Subscription } from '../../../shared/contract/client';
import type { Resource, ResourceRow } from '../../../shared/contract/domain';

const scopeOf = (id: string | undefined) => ({ ids: id ? [id] : [] });
const isFull = (r: Resource | ResourceRow): r is Resource => 'reasons' in r;

/**
 * The selected resource at the `full` level, through one `stack:watch` subscription whose scope follows
 * the selection (`send`), rather than one subscription per click. Items still in flight for the previous
 * selection are told apart by id.
 */
export function useFullResource(client: Client | undefined, id: string | undefined): { resource?: Resource; gone: boolean } {
  const [state, setState] = useState<{ resource?: Resource; gone: boolean }>({ gone: false });
  const sub = useRef<Subscription<StreamMessage<'stack:watch'>> | undefined>(undefined);
  const sent = useRef<string | undefined>(undefined);
  const want = useRef(id);
  want.current = id;

  useEffect(() => {
    if (!client) return;
    sent.current = want.current;
    const s = client.subscribe('stack:watch', { scope: scopeOf(want.current), level: 'full' }, {
      onBatch: (items) => {
        for (const item of items) {
          const hit = item.upsert.find((r) => r.id === want.current);
          if (hit && isFull(hit)) setState({ resource: hit, gone: false });
          // Keep showing what it was (and the outcome of the action that removed it), marked gone.
          else if (item.kind === 'patch' && want.current && item.remove.includes(want.current)) setState((s) => ({ resource: s.resource, gone: true }));
        }
      },
    });
    sub.current = s;
    return () => { s.close(); sub.current = undefined; };
  }, [client]);

  useEffect(() => {
    setState({ gone: false });
    if (!sub.current || sent.current === id) return;
    sent.current = id;
    sub.current.send({ scope: scopeOf(id) });
  }, [id]);

  return state.resource && state.resource.id !== id ? { gone: false } : state;
}
