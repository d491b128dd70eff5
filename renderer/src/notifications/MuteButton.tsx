import { useSyncExternalStore } from 'react';
import { muteResource, unmuteResource } from '../../../shared/notify/mutes';
import type { MuteStore } from './mutesStore';

/** The detail pane's switch for one resource's notifications, showing whether it is muted. */
export function MuteButton({ mutes, id }: { mutes: MuteStore; id: string }) {
  const m = useSyncExternalStore(mutes.subscribe, mutes.get);
  const muted = m.resources.includes(id);
  return (
    <button type="button" className={`action notify-mute${muted ? ' is-muted' : ''}`} aria-pressed={muted}
      title={muted ? 'No desktop notification is raised for this resource' : 'Raise no desktop notification for this resource'}
      onClick={() => mutes.update((x) => (muted ? unmuteResource(x, id) : muteResource(x, id)))}>
      {muted ? 'Notifications muted · Unmute' : 'Mute notifications'}
    </button>
  );
}
