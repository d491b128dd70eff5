import { createHash, createHmac } from 'node:crypto';
import { matchPatternList } from './pattern';

/**
 * Host-key verification against known_hosts text, as OpenSSH's sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"
 * describes it. Pure: the caller reads the files and appends the line; nothing here touches a disk, so
 * known_hosts can never be rewritten from here.
 */

export type HostKeyStatus = 'trusted' | 'unknown' | 'changed' | 'revoked';

export interface KnownHostsFile {
  path: string;
  text: string;
}

export interface KnownKey {
  fingerprint: string;
  file: string;
  /** 1-based. */
  line: number;
  keyType: string;
}

export interface HostKeyVerdict {
  status: HostKeyStatus;
  /** The presented key's, as `ssh-keygen -l` and the connect prompt print it. */
  fingerprint: string;
  keyType: string;
  /** trusted: the line that trusts it; changed: the line with the key on record; revoked: the @revoked line. */
  known?: KnownKey;
  /**
   * unknown only: types of other keys on record for this host. OpenSSH does not call that "changed"
   * (a server may offer a type the client never saw before), but it is worth saying at the prompt.
   */
  otherKeyTypes?: string[];
}

export interface HostKeyQuery {
  host: string;
  /** 22 when absent; any other port is looked up only as `[host]:port`, as OpenSSH does. */
  port?: number;
  /** The raw public key blob the server presented (the SSH wire format, base64-decoded). */
  key: Uint8Array;
}

type Marker = 'none' | 'cert-authority' | 'revoked';

interface Entry {
  marker: Marker;
  hosts: string;
  keyType: string;
  blob: Buffer;
  file: string;
  line: number;
}

/** `SHA256:` and the unpadded base64 digest of the blob, exactly as OpenSSH prints it. */
export function fingerprint(key: Uint8Array): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type a blob names in its first field (`ssh-ed25519`, `ecdsa-sha2-nistp256` ...). */
export function blobKeyType(key: Uint8Array): string | undefined {
  if (key.length < 4) return undefined;
  const buf = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const len = buf.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > buf.length) return undefined;
  const type = buf.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** The name known_hosts records a host under: the lowercase host, or `[host]:port` off port 22. */
export function hostKeyName(host: string, port = 22): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const blob = Buffer.from(text, 'base64');
  // Buffer's decoder skips what it cannot read; a key that does not re-encode to itself is damaged.
  return blob.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '') ? blob : undefined;
}

/** Entries of one file; lines OpenSSH would skip (comments, damaged keys, unknown markers) are skipped. */
function parseFile(file: KnownHostsFile): Entry[] {
  const out: Entry[] = [];
  const lines = file.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/[ \t]+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue;
    let marker: Marker = 'none';
    if (fields[0]!.startsWith('@')) {
      const name = fields.shift()!;
      if (name === '@cert-authority') marker = 'cert-authority';
      else if (name === '@revoked') marker = 'revoked';
      else continue;
    }
    const [hosts, keyType, keyText] = fields;
    if (!hosts || !keyType || !keyText) continue;
    const blob = decodeKey(keyText);
    // A line whose blob names another type than its text says is corrupt, not a second key.
    if (!blob || blobKeyType(blob) !== keyType) continue;
    out.push({ marker, hosts, keyType, blob, file: file.path, line: i + 1 });
  }
  return out;
}

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return hash === parts[3];
}

function hostMatches(hosts: string, name: string): boolean {
  // A hashed entry holds exactly one name and cannot carry patterns or negation.
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  return matchPatternList(hosts.split(','), name);
}

function describe(e: Entry): KnownKey {
  return { fingerprint: fingerprint(e.blob), file: e.file, line: e.line, keyType: e.keyType };
}

/**
 * What the files say about the key a host presented. Files are read in order, as OpenSSH reads
 * UserKnownHostsFile before GlobalKnownHostsFile.
 *
 * Only plain-key lines can trust a plain key: an @cert-authority line vouches for certificates signed by
 * its key, never for a host presenting that key itself. Host certificates are not validated here, so a
 * certificate blob is never "trusted" by this function.
 */
export function verifyHostKey(query: HostKeyQuery, files: readonly KnownHostsFile[]): HostKeyVerdict {
  const blob = Buffer.from(query.key);
  const keyType = blobKeyType(blob);
  if (!keyType) throw new Error('the presented host key is not an SSH public key blob');
  const base = { fingerprint: fingerprint(blob), keyType };
  const name = hostKeyName(query.host, query.port);
  const entries = files.flatMap(parseFile);

  // A revoked key is refused whatever host line it sits under: OpenSSH filters @revoked lines by host,
  // but "revoked" means never accept this key, and a broader refusal costs nothing.
  const revoked = entries.find((e) => e.marker === 'revoked' && e.blob.equals(blob));
  if (revoked) return { status: 'revoked', ...base, known: describe(revoked) };

  const forHost = entries.filter((e) => e.marker === 'none' && hostMatches(e.hosts, name));
  const same = forHost.find((e) => e.blob.equals(blob));
  if (same) return { status: 'trusted', ...base, known: describe(same) };
  // Changed means: a key of this very type is on record and it is another key.
  const recorded = forHost.find((e) => e.keyType === keyType);
  if (recorded) return { status: 'changed', ...base, known: describe(recorded) };
  const others = [...new Set(forHost.map((e) => e.keyType))];
  return others.length ? { status: 'unknown', ...base, otherKeyTypes: others } : { status: 'unknown', ...base };
}

export interface NewKnownHost extends HostKeyQuery {
  /** Write the host name hashed (as with HashKnownHosts yes); the caller brings the 20 random bytes. */
  hashSalt?: Uint8Array;
}

/** `|1|salt|hash`, the HMAC-SHA1 of the name keyed by the salt, as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Uint8Array): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${Buffer.from(salt).toString('base64')}|${hash}`;
}

/** The known_hosts line (no newline) recording a key the operator accepted. */
export function knownHostsLine(entry: NewKnownHost): string {
  // A name with a separator or pattern character would be written as a different, wider pattern.
  if (!/^[A-Za-z0-9._:%-]+$/.test(entry.host)) {
    throw new Error(`cannot record host key for ${JSON.stringify(entry.host)}: not a plain host name or address`);
  }
  if (entry.port !== undefined && !(Number.isInteger(entry.port) && entry.port > 0 && entry.port < 65536)) {
    throw new Error(`cannot record host key for ${entry.host}: bad port ${entry.port}`);
  }
  const blob = Buffer.from(entry.key);
  const keyType = blobKeyType(blob);
  if (!keyType) throw new Error('the host key to record is not an SSH public key blob');
  const name = hostKeyName(entry.host, entry.port);
  const field = entry.hashSalt ? hashHostName(name, entry.hashSalt) : name;
  return `${field} ${keyType} ${blob.toString('base64')}`;
}

/**
 * What to append to a known_hosts file holding `existing` to add `line`: the line and its newline, after
 * a newline of its own if the file's last line has none. Appending this is the only write a trust
 * decision makes; earlier lines are never touched.
 */
export function knownHostsAppend(existing: string, line: string): string {
  if (line.includes('\n')) throw new Error('a known_hosts line cannot contain a newline');
  return (existing.length > 0 && !existing.endsWith('\n') ? '\n' : '') + line + '\n';
}
