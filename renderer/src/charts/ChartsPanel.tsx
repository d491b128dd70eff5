import { useEffect, useMemo, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricRange } from '../../../shared/contract/channels';
import type { Client } from '../../../shared/contract/client';
import { applyItems, extent, pointCount, toRows, type ChartState, type Charts } from './model';
import { axisLabel, formatTime, formatValue, timeTicks, valueTicks } from './units';
import { useTheme } from '../theme/useTheme';
import './charts.css';

const RANGES: MetricRange[] = ['15m', '1h', '6h', '24h'];
const RANGE_MS: Record<MetricRange, number> = { '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000 };
const SOURCE: Record<string, string> = { prometheus: 'Prometheus', docker: 'docker stats', 'metrics.k8s.io': 'metrics.k8s.io', none: '' };

/** Series colours from the page's own variables, so a theme that redefines them recolours the charts. */
function palette(): string[] {
  const css = getComputedStyle(document.documentElement);
  const v = (n: string, d: string) => css.getPropertyValue(n).trim() || d;
  return [v('--pend', '#58a6ff'), v('--ok', '#3fb950'), v('--warn', '#d29922'), v('--err', '#f85149'), v('--chart-5', '#bc8cff'), v('--chart-6', '#39c5cf')];
}

/** Re-reads the palette when the theme changes (theme/theme.ts sets the variables before it tells). */
function usePalette(): string[] {
  const theme = useTheme();
  return useMemo(() => palette(), [theme]);
}

/**
 * A resource's charts (CPU, memory, its declared PromQL): a time range, live update, and for a chart
 * with nothing to draw the reason why. Loaded on first use: recharts stays out of the page's first load.
 */
export default function ChartsPanel({ client, resource }: { client: Client; resource: string }) {
  const [range, setRange] = useState<MetricRange>('1h');
  const [live, setLive] = useState(true);
  const [charts, setCharts] = useState<Charts>([]);
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const colors = usePalette();

  useEffect(() => {
    setCharts([]); setError(undefined); setLoading(true);
    const sub = client.subscribe('metrics:series', { resource, range, live }, {
      onBatch: (items) => { setLoading(false); setCharts((c) => applyItems(c, items, RANGE_MS[range])); },
      onEnd: (err) => { setLoading(false); if (err) setError(err.message); },
    });
    return () => sub.close();
  }, [client, resource, range, live]);

  if (!loading && !error && charts.length === 0) return null;
  return (
    <section className="charts" aria-label="Charts" data-range={range}>
      <div className="charts-toolbar">
        <span className="charts-title">Charts</span>
        <span role="group" aria-label="Time range" className="charts-ranges">
          {RANGES.map((r) => (
            <button key={r} type="button" aria-pressed={r === range} className={r === range ? 'on' : ''} onClick={() => setRange(r)}>{r}</button>
          ))}
        </span>
        <label className="toggle"><input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> live</label>
        {loading && <span className="dim">loading…</span>}
        {error && <span className="chart-why" role="status">{error}</span>}
      </div>
      <div className="charts-grid">
        {charts.map((c) => <Chart key={c.key} chart={c} colors={colors} />)}
      </div>
    </section>
  );
}

function Chart({ chart: c, colors }: { chart: ChartState; colors: string[] }) {
  const rows = useMemo(() => toRows(c), [c]);
  const n = pointCount(c);
  const { min, max } = extent(c);
  const yTicks = useMemo(() => valueTicks(min, max, c.unit), [min, max, c.unit]);
  const withDay = c.end - c.start > 12 * 3_600_000;
  const xTicks = useMemo(() => timeTicks(c.start, c.end), [c.start, c.end]);
  const area = c.unit === 'bytes' && c.series.length === 1;
  return (
    <figure className="chart" data-chart={c.key} data-points={n} data-start={c.start} data-end={c.end} data-source={c.source}>
      <figcaption>
        <strong>{c.title}</strong>
        {SOURCE[c.source] && <span className="chart-source">{SOURCE[c.source]}</span>}
        {c.query && <code className="chart-query" title={c.query}>{c.query}</code>}
      </figcaption>
      {c.problem && (
        <div className={`chart-why why-${c.problem.kind}`} role="status">{n ? `${c.problem.message} (last points kept)` : c.problem.message}</div>
      )}
      {n > 0 && (
        <div className="chart-plot">
          <ResponsiveContainer width="100%" height={170}>
            <ComposedChart data={rows} margin={{ top: 6, right: 12, bottom: 4, left: 4 }}>
              <CartesianGrid className="chart-grid" vertical={false} />
              <XAxis dataKey="t" type="number" scale="time" domain={[c.start, c.end]} ticks={xTicks} tickFormatter={(t: number) => formatTime(t, withDay)} allowDataOverflow />
              <YAxis type="number" domain={[yTicks[0], yTicks[yTicks.length - 1]]} ticks={yTicks} tickFormatter={(v: number) => formatValue(v, c.unit)} width={74}
                label={{ value: axisLabel(c.unit), angle: -90, position: 'insideLeft', className: 'chart-axis-label' }} />
              <Tooltip labelFormatter={(t) => formatTime(Number(t), true)} formatter={(v) => formatValue(Number(v), c.unit)} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--line)' }} />
              {c.series.length > 1 && <Legend />}
              {c.series.map((s, i) => (area
                ? <Area key={s.name} dataKey={`s${i}`} name={s.name} type="monotone" stroke={colors[i % colors.length]} fill={colors[i % colors.length]} fillOpacity={0.2} isAnimationActive={false} dot={false} />
                : <Line key={s.name} dataKey={`s${i}`} name={s.name} type="monotone" stroke={colors[i % colors.length]} isAnimationActive={false} dot={false} strokeWidth={1.5} />))}
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}
