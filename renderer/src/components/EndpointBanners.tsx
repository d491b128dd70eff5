import type { Client } from '../../../shared/contract/client';
import type { PlaneEndpoint } from '../../../shared/contract/domain';
import { useNow } from '../hooks/useNow';
import { untilTime } from '../model/relativeTime';
import { SshPrompt } from './SshPrompt';

/**
 * One banner per endpoint that cannot be reached: several engines or contexts may fail at once. One that
 * waits for the operator (an unknown host key, a changed one) says so instead of promising a retry, and
 * leads to the resource whose action settles it.
 */
export function EndpointBanners({ endpoints, onSelect, client }: { endpoints: readonly PlaneEndpoint[]; onSelect?(resourceId: string): void; client?: Client }) {
  const failing = endpoints.filter((e) => e.state === 'unavailable' || e.configError);
  const now = useNow(1000);
  return (
    <>
      {failing.map((e) => (
        <div key={e.id} className={e.configError ? 'banner banner-config' : 'banner'} role="alert" data-endpoint={e.id}>
          {/* A question answered right here needs no "open the console" (the CLI's words). */}
          <strong>{e.plane} {e.name}: {e.asks && client ? e.asks.title : e.message ?? e.state}</strong>
          {/* A login that asks (a passphrase, a password): the question is answered right here. */}
          {e.asks && client && <SshPrompt key={e.asks.id} endpoint={e.id} ask={e.asks} client={client} />}
          {e.hint && <div>{e.hint}</div>}
          <div className="banner-note">
            Tried {e.target} ({e.source}).{' '}
            {e.configError ? 'Fix the configuration; Pilothouse reads it again when it changes.'
              : e.waitsForOperator ? 'Pilothouse does not retry this by itself: it waits for you.'
                : e.retryAt ? `Retrying ${untilTime(e.retryAt, now)}; Pilothouse recovers by itself.`
                  : 'Pilothouse keeps retrying and recovers by itself.'}
            {e.waitsForOperator && e.actOn && onSelect && (
              <>{' '}<button type="button" className="link" onClick={() => onSelect(e.actOn!)}>Open {e.name}</button></>
            )}
          </div>
        </div>
      ))}
    </>
  );
}
