// The rule lives in shared/ so the page and the Electron shell use it too; planes import it from here.
export { backoffDelay, nextBackoff } from '../../shared/time/backoff';
