// Quality charts (docs/console.md "A call's page"): the `quality` timeline entries of each leg —
// jitter, loss and MOS over time — drawn with uPlot, and the call's `qos` summary at hangup.
import uPlot from 'uplot';
import { h, table } from './dom.js';

/** A numeric figure of `data`, null when absent (docs/timeline.md "Media quality"). */
function pick(data, key) {
  const v = data?.[key];
  return typeof v === 'number' ? v : null;
}

/** The figures the charts plot: [title, field of a `quality` entry]. */
export const METRICS = [
  ['jitter (ms)', 'jitter_ms'],
  ['loss (%)', 'loss_pct'],
  ['MOS', 'mos'],
];

/** One series per leg: `{leg, times[], values: {metric: []}}`, times in seconds since the epoch. */
export function qualitySeries(entries) {
  const legs = new Map();
  for (const e of entries) {
    if (e.kind !== 'quality') continue;
    const leg = String(e.data?.leg_id ?? 'leg');
    let s = legs.get(leg);
    if (!s) legs.set(leg, (s = { leg, times: [], values: Object.fromEntries(METRICS.map(([m]) => [m, []])) }));
    s.times.push(Date.parse(e.tm) / 1000);
    for (const [m, re] of METRICS) s.values[m].push(pick(e.data, re));
  }
  return [...legs.values()];
}

/** One chart per figure, one line per leg; nothing when there is no sample. */
export function qualityCharts(entries) {
  const series = qualitySeries(entries);
  const box = h('div', { class: 'charts', 'data-samples': series.reduce((n, s) => n + s.times.length, 0) });
  if (series.length === 0) {
    box.append(h('p', { class: 'muted' }, 'No quality samples.'));
    return box;
  }
  // Every leg's samples on one time axis: the union of the sample times, gaps where a leg has none.
  const times = [...new Set(series.flatMap((s) => s.times))].sort((a, b) => a - b);
  // The x axis counts seconds from the first sample, not dates.
  const t0 = times[0] ?? 0;
  const seconds = times.map((t) => Math.round((t - t0) * 10) / 10);
  for (const [metric] of METRICS) {
    const data = [seconds];
    for (const s of series) {
      const at = new Map(s.times.map((t, i) => [t, s.values[metric][i]]));
      data.push(times.map((t) => at.get(t) ?? null));
    }
    if (data.slice(1).every((col) => col.every((v) => v === null))) continue;
    const figure = h(
      'figure',
      { class: 'chart', 'data-metric': metric, 'data-points': times.length },
      h('figcaption', {}, metric),
    );
    box.append(figure);
    new uPlot(
      {
        width: 520,
        height: 180,
        // One sample alone gets ten seconds after it instead of an empty range.
        scales: { x: { time: false, range: (_u, min, max) => (min === max ? [min, min + 10] : [min, max]) } },
        axes: [{ label: 's since the first sample' }, {}],
        series: [
          {},
          ...series.map((s, i) => ({
            label: `leg ${s.leg.slice(0, 8)}`,
            stroke: COLORS[i % COLORS.length],
            spanGaps: true,
          })),
        ],
      },
      data,
      figure,
    );
  }
  return box;
}

const COLORS = ['#2456c7', '#b3261e', '#137a3a', '#8a5a00'];

const QOS_FIELDS = [
  'codec',
  'packets_sent',
  'packets_received',
  'packets_lost',
  'loss_pct',
  'jitter_ms',
  'rtt_ms',
  'late',
  'discarded',
  'mos',
];

/** The call's `qos` at hangup: one row per leg with its figures (docs/timeline.md "Media quality"). */
export function qosTable(qos, hungUp) {
  if (Array.isArray(qos) && qos.length > 0)
    return table(
      'Quality at hangup',
      [
        { title: 'Leg', cell: (q) => String(q.leg_id ?? '').slice(0, 8) },
        ...QOS_FIELDS.map((f) => ({
          title: f,
          cell: (q) => (q[f] === null || q[f] === undefined ? '—' : String(q[f])),
        })),
      ],
      qos.map((q, i) => ({ id: q.leg_id ?? String(i), ...q })),
    );
  if (!qos || typeof qos !== 'object' || Array.isArray(qos))
    return h('p', { class: 'muted' }, hungUp ? 'The call has no quality summary.' : 'The summary comes at hangup.');
  const rows = [];
  const walk = (prefix, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v))
      for (const [k, w] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, w);
    else rows.push({ id: prefix, name: prefix, value: Array.isArray(v) ? JSON.stringify(v) : String(v) });
  };
  walk('', qos);
  return table(
    'Quality at hangup',
    [
      { title: 'Figure', cell: (r) => r.name },
      { title: 'Value', cell: (r) => r.value },
    ],
    rows,
  );
}
