/**
 * An HPA's metrics as the model keeps them: each spec.metrics entry with the status.currentMetrics entry
 * of the same source, so a rule can say "CPU 42% of 70% target" or why the current figure is missing.
 */
export interface HpaMetric {
  /** Resource | ContainerResource | Pods | Object | External */
  type: string;
  /** cpu, memory, or the custom metric's name. */
  name: string;
  /** ContainerResource: the container measured. */
  container?: string;
  /** Utilization (percent of the pods' requests) | AverageValue | Value */
  targetType: string;
  /** The percentage for Utilization, else the quantity ("500m", "100"). */
  target?: string;
  /** What the HPA last read; both undefined while it cannot read the metric (kubectl's `<unknown>`). */
  currentUtilization?: number;
  currentValue?: string;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The part of a metric entry that names its source ({resource: {name}}, {pods: {metric: {name}}} ...). */
function source(m: Raw): { type: string; body: Raw; name: string; container?: string } {
  const type = str(m.type) ?? '';
  const key = type ? type[0].toLowerCase() + type.slice(1) : '';
  const body = obj(m[key]);
  const name = str(body.name) ?? str(obj(body.metric).name) ?? '';
  return { type, body, name, container: str(body.container) };
}

export function trimHpaMetrics(specMetrics: unknown, currentMetrics: unknown): HpaMetric[] | undefined {
  if (!Array.isArray(specMetrics) || !specMetrics.length) return undefined;
  const current = (Array.isArray(currentMetrics) ? currentMetrics : []).map((c) => source(obj(c)));
  return specMetrics.map((raw) => {
    const s = source(obj(raw));
    const t = obj(s.body.target);
    const targetType = str(t.type) ?? '';
    const target = targetType === 'Utilization' ? str(t.averageUtilization) : str(t.averageValue) ?? str(t.value);
    const m: HpaMetric = { type: s.type, name: s.name, targetType, ...(s.container ? { container: s.container } : {}), ...(target !== undefined ? { target } : {}) };
    // An unreadable metric comes back as `{type: ""}`: nothing matches it, so current stays unknown.
    const c = current.find((x) => x.type === s.type && x.name === s.name && x.container === s.container);
    if (c) {
      const cur = obj(c.body.current);
      const u = num(cur.averageUtilization);
      if (u !== undefined) m.currentUtilization = u;
      const v = str(cur.averageValue) ?? str(cur.value);
      if (v !== undefined) m.currentValue = v;
    }
    return m;
  });
}
