import type { NotificationText } from '../../../shared/notify/rules';
import type { ShellBridge } from './shell';

/** `unsupported`: this browser has no Web Notifications (or the page is not a secure context). */
export type Permission = 'granted' | 'denied' | 'default' | 'unsupported';

/** How a notification reaches the desktop: the Web Notifications API, or Electron's through the preload. */
export interface Delivery {
  readonly kind: 'web' | 'shell';
  permission(): Permission;
  /** Asks the browser; only ever called from the operator's click. */
  request(): Promise<Permission>;
  show(n: NotificationText): void;
  /** Called with the resource a clicked notification speaks for. */
  onClick(fn: (id: string) => void): void;
}

export function webDelivery(): Delivery {
  let clicked: (id: string) => void = () => undefined;
  const api = () => (typeof Notification === 'undefined' ? undefined : Notification);
  return {
    kind: 'web',
    permission: () => api()?.permission ?? 'unsupported',
    request: async () => (api() ? await api()!.requestPermission() : 'unsupported'),
    show(n) {
      const N = api();
      if (!N || N.permission !== 'granted') return;
      // The tag replaces an older notification for the same resource instead of stacking another.
      const shown = new N(n.title, { body: n.body, tag: `pilothouse:${n.resource}`, data: { resource: n.resource, resources: n.resources } });
      shown.onclick = () => { window.focus(); clicked(n.resource); shown.close(); };
    },
    onClick(fn) { clicked = fn; },
  };
}

export function shellDelivery(shell: ShellBridge): Delivery {
  return {
    kind: 'shell',
    // The shell shows notifications itself: there is no browser permission to ask for.
    permission: () => 'granted',
    request: async () => 'granted',
    show(n) { shell.notify(n.title, n.body, n.resource); },
    onClick(fn) { shell.onSelect(fn); },
  };
}
