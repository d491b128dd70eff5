import type { PlaneEndpoint } from '../../../shared/contract/domain';
import { useNow } from '../hooks/useNow';
import { untilTime } from '../model/relativeTime';

/** One banner per endpoint that cannot be reached: several engines or contexts may fail at once. */
export function EndpointBanners({ endpoints }: { endpoints: readonly PlaneEndpoint[] }) {
  const failing = endpoints.filter((e) => e.state === 'unavailable' || e.configError);
  const now = useNow(1000);
  return (
    <>
      {failing.map((e) => (
        <div key={e.id} className={e.configError ? 'banner banner-config' : 'banner'} role="alert" data-endpoint={e.id}>
          <strong>{e.plane} {e.name}: {e.message ?? e.state}</strong>
          {e.hint && <div>{e.hint}</div>}
          <div className="banner-note">
            Tried {e.target} ({e.source}).{' '}
            {e.configError ? 'Fix the configuration; Pilothouse reads it again when it changes.'
              : e.retryAt ? `Retrying ${untilTime(e.retryAt, now)}; Pilothouse recovers by itself.`
                : 'Pilothouse keeps retrying and recovers by itself.'}
          </div>
        </div>
      ))}
    </>
  );
}
