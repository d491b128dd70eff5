import type { IncomingMessage } from 'node:http';
import { nextBackoff } from '../../../shared/time/backoff';
import { objectKey, type ModelObject } from '../../model/object';
import { UnreachableError, type KubeTransport } from './client';
import { collectionPath, LIST_ACCEPT, METADATA_LIST_ACCEPT, METADATA_WATCH_ACCEPT, type KindInfo } from './kinds';
import { TRIMMERS, type KubeMeta } from './objects';
import { decodePodListEach, PROTOBUF_CONTENT_TYPE, PROTOBUF_LIST_ACCEPT } from './proto/pod-list';

/** Where one kind's objects go: the plane's sink, narrowed to this endpoint and kind. */
export interface KindSink {
  /** A complete list: anything of this kind the model holds that is not in it is gone. */
  reconcile(objs: ModelObject[]): void;
  upsert(obj: ModelObject): void;
  remove(key: string): void;
}

export type KindStatus =
  | { state: 'listing' }
  /** Waiting for the context's server to answer its probe before the first list (server-probe.ts). */
  | { state: 'waiting' }
  /** After a sleep: the watch is being opened again from the last version it saw, not listed yet again. */
  | { state: 'resuming' }
  | { state: 'watching'; note?: string }
  /** The user may not list this kind (403): said once, not retried until resume or a config change. */
  | { state: 'forbidden'; message: string }
  /** The server does not serve this kind (404: an older cluster, an API group turned off). */
  | { state: 'unsupported'; message: string }
  | { state: 'failed'; message: string; retryAt: number; unreachable: boolean };

export interface KindWatchOptions {
  kind: KindInfo;
  endpoint: string;
  transport: KubeTransport;
  sink: KindSink;
  onStatus(s: KindStatus): void;
  /** The context's namespace: where to list when the cluster-wide list is forbidden. */
  namespace?: string;
  now?: () => number;
  random?: () => number;
  backoff?: { baseMs: number; maxMs: number };
  pageSize?: number;
  /** The server ends each watch after this long (client-go picks 5-10 min at random, so do we). */
  watchTimeoutSeconds?: () => number;
  /**
   * The server could not be reached: resolves once the context's one probe reaches it again (the
   * connection probes for every kind at once, so a dead server costs one request per backoff step, not
   * one per kind). Without it, each kind retries on its own backoff.
   */
  untilReachable?: () => Promise<void>;
}

/** Parsing bounds, so one bad or hostile line cannot take the engine's memory. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const MAX_PAGE_BYTES = 256 * 1024 * 1024;
/** A watch ending sooner than this without one event counts as a failure for the backoff. */
const SHORT_WATCH_MS = 1_000;

/** An API answer that was not 200, read from its Status body. */
export class ApiStatusError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) { super(message); }
}

class Stopped extends Error {}

/** "secrets is forbidden: User "x" cannot list ..." → "secrets: forbidden for user x". */
export function forbiddenText(plural: string, serverMessage: string, scope: string): string {
  const user = /User "([^"]+)"/.exec(serverMessage)?.[1];
  return `${plural}: forbidden${user ? ` for user ${user}` : ''}${scope}`;
}

/** How far into a list the continue token is looked for: the list's metadata is its first few hundred bytes. */
const HEAD_BYTES = 16 * 1024;

/**
 * The continue token of a list page from its first bytes: a string when there is one, '' when the
 * metadata ended without one (the last page), undefined when the head is not all there yet.
 */
export function continueToken(head: Buffer): string | undefined {
  const text = head.toString('latin1', 0, Math.min(head.length, HEAD_BYTES));
  const items = text.indexOf('"items":');
  if (items === -1) return text.length >= HEAD_BYTES ? '' : undefined;
  const m = /"continue":"([^"\\]*)"/.exec(text.slice(0, items));
  return m ? m[1] : '';
}

/** The whole body; `onHead` sees the first bytes as they arrive until it returns true. */
async function readBody(res: IncomingMessage, limit: number, onHead?: (head: Buffer) => boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let watching = !!onHead;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) { res.destroy(); throw new Error(`answer larger than ${limit} bytes`); }
    chunks.push(c);
    if (watching) watching = !onHead!(chunks.length === 1 ? c : Buffer.concat(chunks)) && size < HEAD_BYTES;
  }
  return Buffer.concat(chunks);
}

async function statusError(res: IncomingMessage): Promise<ApiStatusError> {
  let reason = '', message = `HTTP ${res.statusCode}`;
  try {
    const body = JSON.parse((await readBody(res, 1024 * 1024)).toString('utf8')) as { reason?: string; message?: string };
    reason = body.reason ?? '';
    if (body.message) message = body.message;
  } catch { /* a proxy's HTML error page: the status code says enough */ }
  return new ApiStatusError(res.statusCode ?? 0, reason, message);
}

/**
 * One kind on one context, kept live without polling: a paged list (limit + continue), each page's raw
 * JSON parsed once and trimmed at once, the model reconciled with the complete list, then a watch from
 * the list's resourceVersion with bookmarks. A watch that ends is resumed from the last resourceVersion
 * seen; 410 Gone (the server no longer has that version) lists again and reconciles, so nothing stale or
 * missing remains. Failures back off, capped and jittered.
 */
export class KindWatch {
  private rv?: string;
  private gen = 0;
  private attempt = 0;
  private running = false;
  /** Requests in flight (a list page may be asked for while the one before it is still read). */
  private readonly aborts = new Set<AbortController>();
  private wake?: () => void;
  private timer?: ReturnType<typeof setTimeout>;
  /** Listing only the context's namespace, because the cluster-wide list was forbidden. */
  private nsOnly = false;
  /** A protobuf kind's server answered JSON (a proxy, an old server): it is paged like the others. */
  private jsonOnly = false;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly pageSize: number;
  private readonly watchTimeout: () => number;
  private readonly trim: (raw: unknown) => unknown;
  status: KindStatus = { state: 'listing' };
  /** Complete lists so far (the first, then one per 410 or resume): the bench and tests read it. */
  lists = 0;

  constructor(private readonly o: KindWatchOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.backoff = o.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
    this.pageSize = o.pageSize ?? 500;
    this.watchTimeout = o.watchTimeoutSeconds ?? (() => 300 + Math.floor(this.random() * 300));
    this.trim = TRIMMERS[o.kind.kind] as (raw: unknown) => unknown;
  }

  get kind(): KindInfo { return this.o.kind; }

  /** Starts listing (fresh) and watching. */
  start(): void {
    this.halt();
    this.rv = undefined;
    this.attempt = 0;
    this.nsOnly = false;
    const gen = ++this.gen;
    this.setStatus({ state: 'listing' });
    void this.loop(gen);
  }

  /**
   * After a sleep: the watch goes on from the last version it saw (bookmarks keep it recent), so what
   * changed meanwhile arrives as events and the kind is not listed again. Only when the server no longer
   * has that version (410 Gone) is this kind listed again. A kind never listed (or forbidden, or not
   * served) starts over.
   */
  resume(): void {
    if (this.rv === undefined) { this.start(); return; }
    this.halt();
    this.attempt = 0;
    const gen = ++this.gen;
    this.setStatus({ state: 'resuming' });
    void this.loop(gen);
  }

  /** Before the context's server answered, or asleep: nothing requested; the version is kept for resume. */
  waiting(): void {
    this.halt();
    this.setStatus({ state: 'waiting' });
  }

  /** The version the next watch starts from (undefined: the next step is a list). */
  get resourceVersion(): string | undefined { return this.rv; }

  /** Cuts a backoff wait short: another kind of the context just reached the server, so it is back. */
  retryNow(): void {
    if (this.status.state !== 'failed' || !this.status.unreachable) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
  }

  /** Closes the stream and cancels any retry. The model keeps what it has (the endpoint says why). */
  stop(): void { this.halt(); }

  private halt(): void {
    this.gen++;
    for (const ac of this.aborts) ac.abort();
    this.aborts.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
  }

  private setStatus(s: KindStatus): void {
    this.status = s;
    this.o.onStatus(s);
  }

  private live(gen: number): void { if (gen !== this.gen) throw new Stopped(); }

  private async loop(gen: number): Promise<void> {
    while (gen === this.gen) {
      try {
        if (this.rv === undefined) await this.list(gen);
        const started = this.now();
        const events = await this.watch(gen);
        // The server closed the watch (its timeout, a restart): resume from the last version at once,
        // unless it keeps closing at once, which would be a tight loop.
        if (events === 0 && this.now() - started < SHORT_WATCH_MS) await this.retryLater(gen, 'the watch closed at once');
      } catch (e) {
        if (e instanceof Stopped || gen !== this.gen) return;
        if (e instanceof ApiStatusError && e.code === 410) {
          // Expired: the versions between ours and now are gone from the server's history. List again.
          this.rv = undefined;
          this.attempt++;
          if (this.status.state !== 'listing') this.setStatus({ state: 'listing' });
          if (this.attempt > 1) await this.retryLater(gen, 'the resource version expired again').catch(() => undefined);
          continue;
        }
        if (e instanceof ApiStatusError && e.code === 403) {
          if (!this.nsOnly && this.o.kind.namespaced && this.o.namespace) {
            // kubectl's default namespace is where a namespace-bound user may still list.
            this.nsOnly = true;
            this.rv = undefined;
            continue;
          }
          const scope = this.nsOnly ? ` (cluster-wide and in namespace ${this.o.namespace})` : '';
          this.setStatus({ state: 'forbidden', message: forbiddenText(this.o.kind.plural, e.message, scope) });
          return;
        }
        if (e instanceof ApiStatusError && e.code === 404) {
          const gv = this.o.kind.group ? `${this.o.kind.group}/${this.o.kind.version}` : this.o.kind.version;
          this.setStatus({ state: 'unsupported', message: `${this.o.kind.plural}: not served by this cluster (${gv})` });
          return;
        }
        const message = e instanceof ApiStatusError
          ? `${this.o.kind.plural}: ${e.code === 401 ? 'unauthorized (the credentials were refused: expired token or certificate?)' : e.message}`
          : (e as Error).message;
        const unreachable = e instanceof UnreachableError;
        // The context probes the server once for all its kinds; this kind waits for that (and its own
        // backoff, so a watch a proxy keeps cutting cannot spin), then goes on from its last version.
        const back = unreachable ? this.o.untilReachable?.() : undefined;
        try {
          await this.retryLater(gen, message, unreachable);
          if (back) { await back; this.live(gen); }
        } catch { return; }
      }
    }
  }

  /** Waits the backoff for this attempt, saying why; throws Stopped when stopped meanwhile. */
  private async retryLater(gen: number, message: string, unreachable = false): Promise<void> {
    const delay = nextBackoff(this.attempt++, this.backoff, this.random);
    this.setStatus({ state: 'failed', message, retryAt: this.now() + delay, unreachable });
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, delay);
    });
    this.wake = undefined;
    this.timer = undefined;
    this.live(gen);
  }

  private path(): string {
    return collectionPath(this.o.kind, this.nsOnly ? this.o.namespace : undefined);
  }

  private async request(gen: number, query: string, accept: string, idleTimeoutMs: number): Promise<IncomingMessage> {
    this.live(gen);
    const ac = new AbortController();
    this.aborts.add(ac);
    let res: IncomingMessage;
    try {
      res = await this.o.transport.get(`${this.path()}?${query}`, { accept, signal: ac.signal, idleTimeoutMs });
    } catch (e) { this.aborts.delete(ac); throw e; }
    res.once('close', () => this.aborts.delete(ac));
    if (gen !== this.gen) { res.destroy(); throw new Stopped(); }
    if (res.statusCode !== 200) throw await statusError(res);
    return res;
  }

  private toObject(raw: unknown): ModelObject | undefined {
    const data = this.trim(raw) as { meta: KubeMeta };
    if (!data.meta.name) return undefined;
    return { plane: 'kube', endpoint: this.o.endpoint, kind: this.o.kind.kind, ns: data.meta.ns, name: data.meta.name, data };
  }

  private async list(gen: number): Promise<void> {
    const objs: ModelObject[] = [];
    let rv: string | undefined;
    const protobufList = !!this.o.kind.protobufList && !this.jsonOnly;
    const accept = this.o.kind.metadataOnly ? METADATA_LIST_ACCEPT : protobufList ? PROTOBUF_LIST_ACCEPT : LIST_ACCEPT;
    const ask = (cont: string | undefined) => {
      const q = new URLSearchParams({ limit: String(this.pageSize) });
      // resourceVersion=0, as client-go's informers list: the apiserver answers from its watch cache in
      // one piece (it ignores the limit there), where each page of a paged list is an etcd read (at
      // 10,000 pods: 21 pages, 2.6 s; from the cache 0.6 s). The watch goes on from the version it gives,
      // so a cache a moment behind costs nothing. A server without the cache pages as asked.
      if (cont) q.set('continue', cont);
      else if (protobufList) q.set('resourceVersion', '0');
      const p = this.request(gen, q.toString(), accept, 60_000);
      p.catch(() => undefined); // awaited below; a page asked ahead may fail before then
      return { cont, res: p };
    };
    type Page = { cont: string | undefined; res: Promise<IncomingMessage> };
    let next: Page | undefined = ask(undefined);
    while (next) {
      const page = next;
      next = undefined;
      let res: IncomingMessage;
      try {
        res = await page.res;
      } catch (e) {
        // The continue token expired between pages (410): start the list over, from the first page.
        if (page.cont && e instanceof ApiStatusError && e.code === 410) { objs.length = 0; next = ask(undefined); continue; }
        throw e;
      }
      // The next page is asked for as soon as this one's continue token has arrived (the list's metadata
      // comes before its items), so the server makes it while this one is still read and parsed.
      let parsed: { metadata?: { continue?: string; resourceVersion?: string }; items?: unknown[] };
      try {
        // A protobuf page is read whole before its next is asked for (its token is not text in its head).
        const protobuf = String(res.headers['content-type'] ?? '').startsWith(PROTOBUF_CONTENT_TYPE);
        // JSON for a protobuf kind: its whole list in JSON could pass the page bound; page it from now on.
        if (protobufList && !protobuf) this.jsonOnly = true;
        const body = await readBody(res, MAX_PAGE_BYTES, protobuf ? undefined : (head) => {
          const t = continueToken(head);
          if (t) next = ask(t);
          return t !== undefined;
        });
        if (protobuf) {
          const d = await decodePodListEach(body, (pod) => { const o = this.toObject(pod); if (o) objs.push(o); }).catch((e: Error) => {
            // Not what a Kubernetes apiserver sends (a proxy that rewrote it?): JSON from now on, and say so.
            this.jsonOnly = true;
            throw new Error(`${this.o.kind.plural}: the server's protobuf answer could not be read (${e.message}); listing as JSON instead`);
          });
          this.live(gen);
          parsed = { metadata: { continue: d.continue, resourceVersion: d.resourceVersion }, items: [] };
        } else {
          parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
        }
        this.live(gen);
      } catch (e) {
        // A page asked for ahead is not left holding a socket when this one fails.
        (next as Page | undefined)?.res.then((r) => r.destroy(), () => undefined);
        throw e;
      }
      for (const item of parsed.items ?? []) { const o = this.toObject(item); if (o) objs.push(o); }
      const cont = parsed.metadata?.continue || undefined;
      const ahead = next as Page | undefined; // set by the head callback, which TypeScript does not follow
      if (ahead?.cont !== cont) {
        // The head said otherwise than the whole page (a proxy that reorders fields?): the page decides.
        ahead?.res.then((r) => r.destroy(), () => undefined);
        next = cont ? ask(cont) : undefined;
      }
      rv = parsed.metadata?.resourceVersion;
    }
    this.o.sink.reconcile(objs);
    this.lists++;
    this.rv = rv ?? '';
    this.attempt = 0;
    this.setStatus(this.nsOnly
      ? { state: 'watching', note: `${this.o.kind.plural}: only namespace ${this.o.namespace} (the cluster-wide list is forbidden)` }
      : { state: 'watching' });
  }

  /** Streams one watch until the server ends it; returns how many events it carried. */
  private async watch(gen: number): Promise<number> {
    const timeout = this.watchTimeout();
    const q = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: String(timeout) });
    if (this.rv) q.set('resourceVersion', this.rv);
    const accept = this.o.kind.metadataOnly ? METADATA_WATCH_ACCEPT : LIST_ACCEPT;
    const res = await this.request(gen, q.toString(), accept, (timeout + 30) * 1000);
    if (this.status.state !== 'watching') {
      this.attempt = 0;
      this.setStatus(this.nsOnly ? { state: 'watching', note: `${this.o.kind.plural}: only namespace ${this.o.namespace} (the cluster-wide list is forbidden)` } : { state: 'watching' });
    }
    let count = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const handle = (line: Buffer) => {
      if (!line.length) return;
      const ev = JSON.parse(line.toString('utf8')) as { type?: string; object?: { metadata?: { resourceVersion?: string }; code?: number; reason?: string; message?: string } };
      const rv = ev.object?.metadata?.resourceVersion;
      count++;
      switch (ev.type) {
        case 'ADDED':
        case 'MODIFIED': { const o = this.toObject(ev.object); if (o) this.o.sink.upsert(o); break; }
        case 'DELETED': { const o = this.toObject(ev.object); if (o) this.o.sink.remove(objectKey(o)); break; }
        case 'BOOKMARK': break;
        case 'ERROR': {
          const s = ev.object ?? {};
          throw new ApiStatusError(s.code ?? 500, s.reason ?? '', s.message ?? 'watch error');
        }
        default: return;
      }
      if (rv) this.rv = rv;
    };
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (gen !== this.gen) throw new Stopped();
        let start = 0;
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
          const piece = chunk.subarray(start, nl);
          if (pending.length) { pending.push(piece); handle(Buffer.concat(pending)); pending = []; pendingBytes = 0; }
          else handle(piece);
          start = nl + 1;
        }
        if (start < chunk.length) {
          pending.push(chunk.subarray(start));
          pendingBytes += chunk.length - start;
          if (pendingBytes > MAX_LINE_BYTES) throw new Error(`${this.o.kind.plural}: a watch event larger than ${MAX_LINE_BYTES} bytes`);
        }
      }
    } catch (e) {
      res.destroy();
      if (e instanceof Stopped || e instanceof ApiStatusError) throw e;
      if (gen !== this.gen) throw new Stopped();
      if (e instanceof SyntaxError) throw new Error(`${this.o.kind.plural}: the watch sent a line that is not JSON`);
      // The connection dropped mid-stream: resume from the last version seen, after the backoff.
      throw new UnreachableError(`${this.o.kind.plural}: the watch connection dropped (${(e as Error).message})`);
    }
    if (pending.length) handle(Buffer.concat(pending));
    return count;
  }
}
