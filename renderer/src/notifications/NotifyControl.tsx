import { useSyncExternalStore } from 'react';
import { allMuted, muteAllFor, muteLeft, unmuteAll, unmuteResource } from '../../../shared/notify/mutes';
import { useNow } from '../hooks/useNow';
import type { NotificationCenter } from './center';

/**
 * The topbar's notification state and switches: enable (an explicit click, the only time the browser is
 * asked), blocked or unsupported said in words, "mute all for 1 hour" and how long is left.
 */
export function NotifyControl({ center, nameOf }: { center: NotificationCenter; /** "group/name" of a resource the page holds. */ nameOf(id: string): string | undefined }) {
  useSyncExternalStore(center.subscribe, center.getVersion);
  const mutes = useSyncExternalStore(center.mutes.subscribe, center.mutes.get);
  // The clock's tick may be up to 30 s old; a click just now must not read as "1 h 1 min" left.
  const now = Math.max(useNow(30_000), Date.now());
  const perm = center.permission();
  const muted = allMuted(mutes, now);
  const n = mutes.resources.length;
  return (
    <span className="notify-control" role="group" aria-label="Notifications">
      {perm === 'default' && !center.asking && (
        <button type="button" className="action" onClick={() => void center.requestPermission()}>Enable notifications</button>
      )}
      {center.asking && <span className="notify-state" role="status">Asking the browser: answer its question to enable notifications</span>}
      {perm === 'default' && !center.asking && center.dismissed && (
        <span className="notify-state notify-denied" role="status">Not enabled: the browser's question was dismissed</span>
      )}
      {perm === 'denied' && (
        <span className="notify-state notify-denied" role="status" title="Allow notifications for this site in the browser's site settings, then reload.">
          Notifications blocked by the browser
        </span>
      )}
      {perm === 'unsupported' && <span className="notify-state dim" role="status">No desktop notifications in this browser</span>}
      {perm === 'granted' && (
        <span className={`notify-state ${muted ? 'notify-muted' : 'notify-on'}`} role="status" title={center.last ? `Last: ${center.last.title}` : undefined}>
          {muted ? `Notifications muted for ${muteLeft(mutes, now)}` : 'Notifications on'}
        </span>
      )}
      {perm !== 'unsupported' && (muted
        ? <button type="button" className="link" onClick={() => center.mutes.update(unmuteAll)}>Unmute</button>
        : <button type="button" className="link" onClick={() => center.mutes.update((m) => muteAllFor(m, Date.now()))}>Mute all for 1 hour</button>)}
      {n > 0 && (
        <details className="notify-muted-list">
          <summary>{n} muted</summary>
          <ul>
            {mutes.resources.map((id) => (
              <li key={id}><span title={id}>{nameOf(id) ?? id}</span> <button type="button" className="link" onClick={() => center.mutes.update((m) => unmuteResource(m, id))}>Unmute</button></li>
            ))}
          </ul>
        </details>
      )}
      {center.failed && <span className="notify-error" role="alert" title={center.failed}>Notification not shown: {center.failed}</span>}
      {center.mutes.error && <span className="notify-error" role="alert" title={center.mutes.error}>Mutes could not be read: {center.mutes.error}</span>}
    </span>
  );
}
