import type * as https from 'node:https';
import type WebSocket from 'ws';
import { describeNetworkError, type KubeTransport } from './client';

/**
 * The Kubernetes channel protocol over a WebSocket (`v4.channel.k8s.io`, `v5.channel.k8s.io`): every
 * binary message is one byte naming the channel, then that channel's bytes. Exec uses 0 stdin, 1 stdout,
 * 2 stderr, 3 the status (JSON), 4 resize (JSON); v5 adds 255, "close this channel" (half-close of
 * stdin, which v4 cannot say). Port-forward uses 2i for port i's data and 2i+1 for its errors, and the
 * first message on each of them is the port number (uint16, little-endian) before any data.
 */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export const PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io'] as const;

export function frame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  body.copy(out, 1);
  return out;
}

/** One message as received; undefined for an empty one (the server sends none, but a proxy might). */
export function parseFrame(msg: Buffer): { channel: number; data: Buffer } | undefined {
  if (!msg.length) return undefined;
  return { channel: msg[0], data: msg.subarray(1) };
}

export const resizeFrame = (cols: number, rows: number) => frame(Channel.resize, JSON.stringify({ Width: cols, Height: rows }));

/** v5's "no more stdin": the program sees end of input, as with `kubectl exec -i` and a closed pipe. */
export const closeStdinFrame = () => Buffer.from([Channel.close, Channel.stdin]);

/**
 * The status channel's message, a metav1.Status: Success is exit code 0; NonZeroExitCode carries the
 * code as a cause; any other failure (no such executable, container not running) is said in words with
 * no exit code, because the program never ran.
 */
export function execStatus(text: string): { exitCode: number | null; message?: string } {
  let s: { status?: string; message?: string; reason?: string; details?: { causes?: Array<{ reason?: string; message?: string }> } };
  try { s = JSON.parse(text); } catch { return { exitCode: null, message: text.trim() || 'the exec ended with an unreadable status' }; }
  if (s.status === 'Success') return { exitCode: 0 };
  const code = s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  if (s.reason === 'NonZeroExitCode' && code !== undefined && /^\d+$/.test(code)) return { exitCode: Number(code) };
  return { exitCode: null, message: s.message || s.reason || 'the exec failed' };
}

/** Port-forward: the first two bytes of a channel are its port; returns the rest (empty when only those came). */
export function stripPortPrefix(state: { seen: number }, data: Buffer): Buffer {
  if (state.seen >= 2) return data;
  const skip = Math.min(2 - state.seen, data.length);
  state.seen += skip;
  return data.subarray(skip);
}

/** The transport's request options, which only the real transport has (tests' fakes list, they do not exec). */
interface OptionsTransport extends KubeTransport {
  requestOptions(pathAndQuery: string, base?: https.RequestOptions): Promise<{ url: URL; req: https.RequestOptions }>;
}
const hasOptions = (t: KubeTransport): t is OptionsTransport => typeof (t as Partial<OptionsTransport>).requestOptions === 'function';

/** A refusal of the upgrade, with the server's Status message when it sent one (403, 404, 400 ...). */
export class ChannelRefused extends Error {
  constructor(message: string, readonly status?: number) { super(message); }
}

/**
 * An open channel socket. Its messages are held from the moment it opens until `onMessage` is called:
 * ws starts reading the upgraded socket on a nextTick, before the awaiting caller runs, so a short
 * command's whole output (and its status) could otherwise arrive with nobody listening.
 */
export interface ChannelSocket {
  ws: WebSocket;
  onMessage(fn: (msg: Buffer, isBinary: boolean) => void): void;
}

/**
 * Opens a channel WebSocket on the API server with the context's own TLS and credentials (the same
 * options the lists use). Resolves once upgraded; rejects with the server's words on a refusal, or a
 * network description when the server is away.
 */
export async function openChannelSocket(transport: KubeTransport, server: string, pathAndQuery: string, protocols: readonly string[]): Promise<ChannelSocket> {
  if (!hasOptions(transport)) throw new ChannelRefused('this context has no WebSocket transport');
  const { default: WS } = await import('ws');
  const { url, req } = await transport.requestOptions(pathAndQuery, { headers: { 'User-Agent': 'pilothouse' } });
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  // ws hands these to https.request as they are (servername included, which its types do not list).
  const options: WebSocket.ClientOptions & { servername?: string } = {
    ca: req.ca, cert: req.cert, key: req.key, pfx: req.pfx, passphrase: req.passphrase,
    rejectUnauthorized: req.rejectUnauthorized, servername: req.servername,
    headers: req.headers as Record<string, string>, agent: typeof req.agent === 'object' ? req.agent : undefined,
    handshakeTimeout: 15_000, perMessageDeflate: false,
  };
  const ws = new WS(url, [...protocols], options);
  const held: Array<[Buffer, boolean]> = [];
  const hold = (m: Buffer, isBinary: boolean) => { held.push([m, isBinary]); };
  ws.on('message', hold);
  const socket: ChannelSocket = {
    ws,
    onMessage(fn) {
      ws.off('message', hold);
      for (const [m, b] of held.splice(0)) fn(m, b);
      ws.on('message', fn);
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => { ws.removeAllListeners('error'); ws.removeAllListeners('unexpected-response'); ws.on('error', () => undefined); resolve(socket); });
    ws.once('unexpected-response', (_r, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let message = body.trim();
        try { message = (JSON.parse(body) as { message?: string }).message ?? message; } catch { /* plain text */ }
        ws.terminate();
        reject(new ChannelRefused(`${res.statusCode}${message ? `: ${message}` : ''}`, res.statusCode));
      });
      res.on('error', () => reject(new ChannelRefused(`${res.statusCode}`, res.statusCode)));
    });
    ws.once('error', (e) => reject(new ChannelRefused(describeNetworkError(e, server))));
  });
}
