import type { LogLine } from '../../shared/contract/domain';
import type { PilothouseError } from '../../shared/contract/envelope';
import { LogBuffer } from './buffer';
import type { FollowSink } from './follow';

/** Per followed resource: enough for a long incident, bounded so a chatty container cannot eat the laptop. */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

export interface Subscriber { push(l: LogLine): void; end(e?: PilothouseError): void }

interface Shared { buf: LogBuffer; subs: Set<Subscriber>; close?: () => void }

/**
 * One follow per resource, shared by everyone who follows it (a page and a CLI on the same service read
 * one stream from the engine): a newcomer gets the kept tail, then the live lines. The kept lines are
 * bounded by bytes, and the follow is closed and its lines let go when the last subscriber leaves.
 */
export class LogHub {
  private shared = new Map<string, Shared>();

  constructor(private readonly maxBytes = LOG_BUFFER_BYTES) {}

  /**
   * `start` opens the follow for the first subscriber and returns how to close it; it gets the tail the
   * first subscriber asked for. Returns how this subscriber leaves.
   */
  subscribe(key: string, tail: number, sub: Subscriber, start: (sink: FollowSink) => () => void): () => void {
    let s = this.shared.get(key);
    if (s) {
      for (const l of s.buf.tail(tail)) sub.push(l);
      s.subs.add(sub);
    } else {
      const mine: Shared = { buf: new LogBuffer(this.maxBytes), subs: new Set([sub]) };
      s = mine;
      this.shared.set(key, mine);
      const close = start({
        line: (raw) => { const l = mine.buf.push(raw); for (const x of mine.subs) x.push(l); },
        end: (e) => {
          if (this.shared.get(key) === mine) this.shared.delete(key);
          const subs = [...mine.subs];
          mine.subs.clear();
          mine.buf.clear();
          subs.forEach((x) => x.end(e));
        },
      });
      // The follow may have ended already (no log): then there is nothing to keep open.
      if (this.shared.get(key) === mine) mine.close = close; else close();
    }
    const joined = s;
    return () => {
      if (!joined.subs.delete(sub) || joined.subs.size) return;
      this.release(key, joined);
    };
  }

  /** The lines kept for a resource's open follow, if one is open. */
  kept(key: string): LogBuffer | undefined { return this.shared.get(key)?.buf; }

  /** Follows open now (for tests and the bench). */
  get size(): number { return this.shared.size; }

  /** Closes every follow (the engine stops). */
  closeAll(): void { for (const [k, s] of [...this.shared]) { const subs = [...s.subs]; this.release(k, s); subs.forEach((x) => x.end()); } }

  private release(key: string, s: Shared): void {
    if (this.shared.get(key) === s) this.shared.delete(key);
    s.subs.clear();
    const close = s.close;
    s.close = undefined;
    close?.();
    s.buf.clear();
  }
}
