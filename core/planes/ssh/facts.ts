/**
 * Host facts: one remote command per look, parsed by pure functions. The script is a constant; what
 * varies (the mounts and units to look at) goes in as its positional arguments, so no data is ever
 * pasted into a command line (runRemoteCommand quotes each argument). Its output is one fact per line,
 * `key<TAB>value…`, and refers to mounts and units by their index, never by echoing a path back.
 */

/** POSIX sh: runs on any Linux host, uses only coreutils/procps/util-linux and systemctl when present. */
export const FACTS_SCRIPT = [
  'printf "now\\t%s\\n" "$(date +%s)"',
  'printf "tz\\t%s\\n" "$(date +%z)"',
  // procps `uptime -s` is the boot time in local time; /proc/uptime where it is missing (busybox).
  'printf "boot\\t%s\\n" "$(uptime -s 2>/dev/null)"',
  'printf "procuptime\\t%s\\n" "$(cut -d" " -f1 /proc/uptime 2>/dev/null)"',
  'printf "load\\t%s\\n" "$(cat /proc/loadavg 2>/dev/null)"',
  'n=$1; shift; i=0',
  'while [ "$i" -lt "$n" ]; do',
  '  m=$1; shift',
  // findmnt (util-linux) where it is installed, else /proc/mounts (awk compares the path as a string).
  '  if command -v findmnt >/dev/null 2>&1; then t=$(findmnt -rn -o TARGET --mountpoint "$m" 2>/dev/null)',
  '  else t=$(awk -v m="$m" \'$2 == m { print $2 }\' /proc/mounts 2>/dev/null); fi',
  '  if [ -n "$t" ]; then',
  '    printf "mount\\t%s\\tyes\\t%s\\n" "$i" "$(df -Pk "$m" 2>/dev/null | tail -n 1)"',
  '  else printf "mount\\t%s\\tno\\n" "$i"; fi',
  '  i=$((i+1))',
  'done',
  'i=0',
  'for u in "$@"; do printf "unit\\t%s\\t%s\\n" "$i" "$(systemctl is-active "$u" 2>/dev/null | head -n 1)"; i=$((i+1)); done',
].join('\n');

export interface FactsRequest {
  mounts: readonly string[];
  units: readonly string[];
}

/** The argument list for runRemoteCommand. `$0` names the script in the remote's error messages. */
export function factsCommand(req: FactsRequest): string[] {
  return ['sh', '-c', FACTS_SCRIPT, 'pilothouse-facts', String(req.mounts.length), ...req.mounts, ...req.units];
}

export interface MountFact {
  path: string;
  mounted: boolean;
  /** From `df -Pk`, when mounted. */
  sizeKb?: number;
  usedKb?: number;
  availKb?: number;
  usePercent?: number;
}

export interface UnitFact {
  name: string;
  /** `systemctl is-active`: active, inactive, failed, activating …; '' when systemctl said nothing. */
  state: string;
}

export interface HostFacts {
  /** The host's clock (ms since epoch) when it answered. */
  at: number;
  /** When the host booted (ms since epoch); undefined when it could not be told. */
  bootAt?: number;
  load?: [number, number, number];
  mounts: MountFact[];
  units: UnitFact[];
}

export class FactsParseError extends Error {}

/** `+0130` → minutes east of UTC. */
function tzMinutes(tz: string | undefined): number {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(tz ?? '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** `2026-12-06 14:09:12` in the host's zone → ms since epoch. */
export function parseBootTime(local: string, tz: string | undefined): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(local.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - tzMinutes(tz) * 60_000;
}

/** A `df -P` data line: `<filesystem…> <size> <used> <avail> <n>% <mounted on…>`. */
export function parseDfLine(line: string): Pick<MountFact, 'sizeKb' | 'usedKb' | 'availKb' | 'usePercent'> | undefined {
  const m = /\s(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+\S/.exec(line);
  if (!m) return undefined;
  return { sizeKb: Number(m[1]), usedKb: Number(m[2]), availKb: Number(m[3]), usePercent: Number(m[4]) };
}

/** The script's output for `req` → facts. Throws FactsParseError when it is not the script's output at all. */
export function parseFacts(stdout: string, req: FactsRequest): HostFacts {
  const fields = new Map<string, string>();
  const mounts: MountFact[] = req.mounts.map((path) => ({ path, mounted: false }));
  const units: UnitFact[] = req.units.map((name) => ({ name, state: '' }));
  for (const line of stdout.split('\n')) {
    const parts = line.split('\t');
    const key = parts[0]!;
    if (key === 'mount') {
      const m = mounts[Number(parts[1])];
      if (!m) continue;
      m.mounted = parts[2] === 'yes';
      if (m.mounted) Object.assign(m, parseDfLine(parts.slice(3).join('\t')) ?? {});
    } else if (key === 'unit') {
      const u = units[Number(parts[1])];
      if (u) u.state = (parts[2] ?? '').trim();
    } else if (parts.length >= 2) fields.set(key, parts.slice(1).join('\t').trim());
  }
  const nowS = Number(fields.get('now'));
  if (!fields.has('now') || !Number.isFinite(nowS) || nowS <= 0) {
    throw new FactsParseError(`the host's answer is not the facts script's (no clock line): ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const at = nowS * 1000;
  const facts: HostFacts = { at, mounts, units };
  const boot = parseBootTime(fields.get('boot') ?? '', fields.get('tz'));
  const up = Number(fields.get('procuptime'));
  if (boot !== undefined) facts.bootAt = boot;
  else if (fields.get('procuptime') && Number.isFinite(up)) facts.bootAt = Math.round((at - up * 1000) / 1000) * 1000;
  const load = (fields.get('load') ?? '').split(/\s+/).slice(0, 3).map(Number);
  if (load.length === 3 && load.every((n) => Number.isFinite(n))) facts.load = load as [number, number, number];
  return facts;
}

/**
 * Boot times are read to the second, but `uptime -s` and /proc/uptime can wobble by a second or two
 * between looks (rounding, a small NTP step): only a move beyond this is a reboot. Two boots are at least
 * a shutdown and a start apart; the rig's simulated ones (about a second each) can follow each other
 * within a minute, so this is not a minute.
 */
export const REBOOT_TOLERANCE_MS = 10_000;

/** True when `bootAt` is a later boot than the one seen last (never on the first look at a host). */
export function bootMoved(lastBootAt: number | undefined, bootAt: number | undefined): boolean {
  return lastBootAt !== undefined && bootAt !== undefined && bootAt - lastBootAt > REBOOT_TOLERANCE_MS;
}
