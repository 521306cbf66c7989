// The call's SIP ladder (docs/console.md "A call's page"): one column per peer — the far ends and
// callbin — an arrow per message named by method or status, in time order, with the flow steps and
// status changes on the same time axis (one row per entry, the time since the first at the left).
import { svg } from './dom.js';

const COL = 190;
const ROW = 30;
const TOP = 46;
const LEFT = 90;
const CALLBIN = 'callbin';

/** What an entry's arrow or box says: `INVITE`, `200 OK`, `talk`, `ringing → progressing`. */
export function entryLabel(e) {
  const d = e.data ?? {};
  if (e.kind === 'sip') return d.method ? String(d.method) : `${d.status ?? ''} ${d.reason ?? ''}`.trim();
  if (e.kind === 'flow')
    return `${d.action_type ?? 'action'}${d.event === 'end' ? ' ✓' : ''}${d.result && d.result !== 'next' ? ` (${d.result})` : ''}`;
  if (e.kind === 'status') return `${d.from ?? ''} → ${d.to ?? ''}`;
  return e.summary ?? e.kind;
}

/** The peers' columns: callbin first, then each far end in the order it first appears. */
export function ladderColumns(entries) {
  const cols = [CALLBIN];
  for (const e of entries) {
    const peer = e.kind === 'sip' ? String(e.data?.peer ?? 'peer') : undefined;
    if (peer && !cols.includes(peer)) cols.push(peer);
  }
  return cols;
}

function ms(e) {
  return Date.parse(e.tm);
}

/** Entries in time order (ties by `seq`). */
export function inTimeOrder(entries) {
  return [...entries].sort((a, b) => ms(a) - ms(b) || a.seq - b.seq);
}

/**
 * The ladder as an SVG element from timeline entries of kinds `sip`, `flow` and `status` (others are
 * ignored). Each arrow is a `<g class="msg">` with `data-label`, `data-direction` and `data-peer`.
 */
export function drawLadder(all) {
  const entries = inTimeOrder(all.filter((e) => e.kind === 'sip' || e.kind === 'flow' || e.kind === 'status'));
  const cols = ladderColumns(entries);
  const flowX = LEFT + cols.length * COL;
  const width = flowX + COL;
  const height = TOP + Math.max(entries.length, 1) * ROW + 20;
  const x = (col) => LEFT + cols.indexOf(col) * COL + COL / 2;
  const root = svg('svg', {
    class: 'ladder',
    role: 'img',
    'aria-label': 'SIP ladder',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
  });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z' }),
      ),
    ),
  );
  for (const c of cols) {
    root.append(svg('text', { x: x(c), y: 18, class: 'peer', 'text-anchor': 'middle' }, c));
    root.append(svg('line', { x1: x(c), y1: 26, x2: x(c), y2: height - 10, class: 'lifeline' }));
  }
  root.append(svg('text', { x: flowX + COL / 2, y: 18, class: 'peer', 'text-anchor': 'middle' }, 'flow'));
  root.append(
    svg('line', { x1: flowX + COL / 2, y1: 26, x2: flowX + COL / 2, y2: height - 10, class: 'lifeline flow' }),
  );
  const t0 = entries.length ? ms(entries[0]) : 0;
  entries.forEach((e, i) => {
    const y = TOP + i * ROW;
    const label = entryLabel(e);
    root.append(svg('text', { x: 4, y: y + 4, class: 'time' }, `+${((ms(e) - t0) / 1000).toFixed(3)} s`));
    if (e.kind === 'sip') {
      const peer = String(e.data?.peer ?? 'peer');
      const out = e.data?.direction === 'out';
      const [from, to] = out ? [x(CALLBIN), x(peer)] : [x(peer), x(CALLBIN)];
      const g = svg('g', {
        class: `msg ${e.data?.method ? 'request' : 'response'}`,
        'data-label': label,
        'data-direction': out ? 'out' : 'in',
        'data-peer': peer,
      });
      g.append(svg('line', { x1: from, y1: y, x2: to, y2: y, 'marker-end': 'url(#arrow)' }));
      g.append(svg('text', { x: (from + to) / 2, y: y - 5, 'text-anchor': 'middle' }, label));
      g.append(svg('title', {}, `${e.tm} ${e.summary ?? label}`));
      root.append(g);
    } else if (e.kind === 'flow') {
      const g = svg('g', { class: 'step', 'data-label': label });
      g.append(svg('rect', { x: flowX + 10, y: y - 13, width: COL - 20, height: 20, rx: 4 }));
      g.append(svg('text', { x: flowX + COL / 2, y: y + 2, 'text-anchor': 'middle' }, label));
      g.append(svg('title', {}, `${e.tm} ${e.summary ?? label}`));
      root.append(g);
    } else {
      const g = svg('g', { class: 'state', 'data-label': label });
      g.append(svg('text', { x: x(CALLBIN), y: y + 2, 'text-anchor': 'middle' }, label));
      root.append(g);
    }
  });
  return root;
}
