import type { MetricUnit } from '../../../shared/contract/channels';

/**
 * Readable numbers for chart axes and tooltips: bytes in binary units (KiB, MiB, GiB), CPU in cores
 * (millicores below one, as kubectl writes them), seconds as µs/ms/s/min, ratios as percent. Pure.
 */

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const DEC = ['', 'k', 'M', 'G', 'T'];

/** Up to 3 significant digits, no trailing zeros: 1.5, 12, 256, 0.25. */
function short(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return String(Number(n.toFixed(digits)));
}

function scaled(v: number, base: number, names: string[]): { n: number; unit: string } {
  let i = 0;
  let n = v;
  while (Math.abs(n) >= base && i < names.length - 1) { n /= base; i++; }
  return { n, unit: names[i] };
}

/** The value as the operator reads it: `256 MiB`, `1.5 cores`, `250m`, `720 ms`, `4.2 %`, `12 /s`. */
export function formatValue(v: number, unit: MetricUnit): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'bytes': { const s = scaled(v, 1024, BIN); return `${short(s.n)} ${s.unit}`; }
    case 'cores': return Math.abs(v) < 1 && v !== 0 ? `${short(v * 1000)}m` : `${short(v)} ${v === 1 ? 'core' : 'cores'}`;
    case 'percent': return `${short(v)} %`;
    case 'ratio': return `${short(v * 100)} %`;
    case 'seconds': {
      const a = Math.abs(v);
      if (a === 0) return '0 s';
      if (a < 1e-3) return `${short(v * 1e6)} µs`;
      if (a < 1) return `${short(v * 1e3)} ms`;
      if (a < 120) return `${short(v)} s`;
      if (a < 7200) return `${short(v / 60)} min`;
      return `${short(v / 3600)} h`;
    }
    case 'per-second': { const s = scaled(v, 1000, DEC); return `${short(s.n)}${s.unit} /s`; }
    case 'count': { const s = scaled(v, 1000, DEC); return `${short(s.n)}${s.unit}`; }
  }
}

/** The y axis's label: what its numbers are. */
export function axisLabel(unit: MetricUnit): string {
  return { bytes: 'bytes', cores: 'CPU cores', percent: 'percent', ratio: 'percent', seconds: 'seconds', 'per-second': 'per second', count: 'count' }[unit];
}

/** A step of 1, 2 or 5 × 10^k (decimal units) that splits `span` into about `count` parts. */
function decimalStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Bytes step on binary boundaries (1, 2, 4 ... 512 × 1024^k), so ticks read 256 MiB, 512 MiB, 768 MiB. */
function binaryStep(span: number, count: number): number {
  const raw = span / count;
  if (raw < 1) return 1;
  return 2 ** Math.ceil(Math.log2(raw));
}

/** Seconds step on the units they will be shown in (ms, s, min, h) so ticks are round in that unit. */
function secondsStep(span: number, count: number): number {
  const raw = span / count;
  if (raw < 1) return decimalStep(span, count);
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400];
  return nice.find((s) => s >= raw) ?? decimalStep(span, count);
}

/**
 * Y ticks from 0 (or the minimum, when negative) to at least `max`, about `count` of them, on steps that
 * read round in the unit's display. `max` of 0 (a flat zero series) still gives an axis.
 */
export function valueTicks(min: number, max: number, unit: MetricUnit, count = 4): number[] {
  const lo = Math.min(0, Number.isFinite(min) ? min : 0);
  let hi = Number.isFinite(max) ? max : 0;
  if (hi <= lo) hi = lo + (unit === 'bytes' ? 1024 : unit === 'ratio' ? 0.01 : 1);
  const span = hi - lo;
  const step = unit === 'bytes' ? binaryStep(span, count) : unit === 'seconds' ? secondsStep(span, count) : decimalStep(span, count);
  const out: number[] = [];
  const first = Math.floor(lo / step) * step;
  for (let t = first; t < hi + step && out.length < 50; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

const TIME_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720];

/** X ticks on round local minutes/hours between `start` and `end` (ms), about `count` of them. */
export function timeTicks(start: number, end: number, count = 6): number[] {
  const spanMin = (end - start) / 60_000;
  const stepMin = TIME_STEPS_MIN.find((s) => spanMin / s <= count) ?? 1440;
  const stepMs = stepMin * 60_000;
  // Round in local time: an hour tick falls on the hour where the operator is.
  const offset = new Date(start).getTimezoneOffset() * 60_000;
  const out: number[] = [];
  for (let t = Math.ceil((start - offset) / stepMs) * stepMs + offset; t <= end; t += stepMs) out.push(t);
  return out;
}

/** `14:05`, local time (with the day when the range crosses one: `Sat 23:00`). */
export function formatTime(t: number, withDay = false): string {
  const d = new Date(t);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return withDay ? `${d.toLocaleDateString(undefined, { weekday: 'short' })} ${hm}` : hm;
}
