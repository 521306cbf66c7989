// A call's page (docs/console.md "A call's page"): its details and live controls, its SIP ladder
// with the flow steps on the same time axis, and its quality charts, from `GET /calls/{id}` and
// `GET /calls/{id}/timeline` (docs/timeline.md).
import { ApiFailure, api, eventStream } from './api.js';
import { addressText, controls } from './calls.js';
import { errorText, fill, h } from './dom.js';
import { drawLadder } from './ladder.js';
import { qosTable, qualityCharts } from './quality.js';

/** At most this many timeline pages are read for one drawing. */
const MAX_PAGES = 20;

/** Every entry of the call's timeline of `kinds`, following the pages. */
export async function timeline(callId, kinds) {
  const out = [];
  let token = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = new URLSearchParams({ kinds, page_size: '100', ...(token ? { page_token: token } : {}) });
    const res = await api('GET', `/v1.0/calls/${callId}/timeline?${q}`);
    const list = Array.isArray(res) ? res : (res.result ?? []);
    out.push(...list);
    token = res.next_page_token ?? '';
    if (!token || list.length === 0) break;
  }
  return out;
}

function details(call) {
  const rows = [
    ['Id', call.id],
    ['Status', call.status],
    ['Direction', call.direction],
    ['From', addressText(call.source)],
    ['To', addressText(call.destination)],
    ['Held', call.hold ? 'yes' : 'no'],
    ['Muted', call.mute_direction || 'no'],
    ['Created', call.tm_create],
    ['Answered', call.tm_progressing ?? ''],
    ['Hung up', call.tm_hangup ? `${call.tm_hangup} (${call.hangup_by} ${call.hangup_reason})` : ''],
  ];
  return h(
    'dl',
    { class: 'details' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')]),
  );
}

/** Draws the page into `view`; returns its stop function. A call of another customer is "not found". */
export async function callPage(view, callId, me) {
  let call;
  try {
    call = await api('GET', `/v1.0/calls/${encodeURIComponent(callId)}`);
  } catch (err) {
    if (err instanceof ApiFailure && (err.status === 404 || err.status === 400)) {
      fill(view, h('h2', {}, 'Call not found'), h('p', { id: 'not-found' }, `No call ${callId} is yours: not found.`));
      return undefined;
    }
    throw err;
  }
  const head = h('div', {});
  const ladder = h('section', { class: 'card', 'aria-label': 'SIP ladder' }, h('h3', {}, 'SIP ladder and flow'));
  const quality = h('section', { class: 'card', 'aria-label': 'Quality' }, h('h3', {}, 'Quality'));
  const again = h('button', { type: 'button', onclick: () => drawTimeline() }, 'Refresh timeline');
  fill(view, h('h2', {}, 'Call ', h('code', {}, call.id)), head, again, ladder, quality);

  const drawHead = () => {
    fill(head, details(call), call.status === 'hangup' ? '' : controls(call, refreshCall));
  };
  const refreshCall = async () => {
    call = await api('GET', `/v1.0/calls/${call.id}`);
    drawHead();
  };
  const drawTimeline = async () => {
    try {
      const [steps, quals] = await Promise.all([timeline(call.id, 'sip,flow,status'), timeline(call.id, 'quality')]);
      fill(ladder, h('h3', {}, 'SIP ladder and flow'), h('div', { class: 'scroll' }, drawLadder(steps)));
      fill(
        quality,
        h('h3', {}, 'Quality'),
        qualityCharts(quals),
        h('h4', {}, 'At hangup'),
        qosTable(call.qos, call.status === 'hangup'),
      );
    } catch (err) {
      fill(ladder, h('h3', {}, 'SIP ladder and flow'), h('p', { class: 'error' }, errorText(err)));
    }
    view.dataset.drawn = String(Number(view.dataset.drawn ?? 0) + 1);
  };
  drawHead();
  await drawTimeline();
  const stream = eventStream([`customer_id:${me.customerId}:call:${call.id}`], (e) => {
    if (!e.data?.id || e.data.id !== call.id || !e.type.startsWith('call_')) return;
    call = e.data;
    drawHead();
    if (e.type === 'call_hangup') drawTimeline();
  });
  return () => stream.close();
}
