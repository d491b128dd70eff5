import { NotificationCenter } from './center';
import { shellDelivery, webDelivery } from './delivery';
import { localStorageBackend, MuteStore, shellBackend } from './mutesStore';
import { shellBridge } from './shell';

/** The page's notification center: Electron's through the preload when the shell is there, else the browser's. */
export function createNotifications(): NotificationCenter {
  const shell = shellBridge();
  if (shell) return new NotificationCenter(shellDelivery(shell), new MuteStore(shellBackend(shell)));
  return new NotificationCenter(webDelivery(), new MuteStore(localStorageBackend()));
}
