// Live calls (docs/console.md "Calls"): the customer's calls that have not hung up, kept current by
// the event stream (`customer_id:<id>:call`), each with its live controls (docs/calls.md "Live
// control endpoints").
import { api, eventStream } from './api.js';
import { errorText, fill, h, showMessage, table } from './dom.js';

/** An address as one short text. */
export function addressText(a) {
  if (!a) return '';
  return a.target || a.name || '';
}

/** The control buttons of one live call; `after` runs when one succeeded. */
export function controls(call, after) {
  const act = (method, path, body) => async () => {
    showMessage('');
    try {
      await api(method, `/v1.0/calls/${call.id}${path}`, body);
      after?.();
    } catch (err) {
      showMessage(errorText(err));
    }
  };
  const muted = call.mute_direction !== '';
  const b = (label, onclick) => h('button', { type: 'button', onclick, 'aria-label': `${label} ${call.id}` }, label);
  return h(
    'span',
    { class: 'controls' },
    b('Hang up', act('POST', '/hangup')),
    call.hold ? b('Unhold', act('DELETE', '/hold')) : b('Hold', act('POST', '/hold')),
    muted ? b('Unmute', act('DELETE', '/mute')) : b('Mute', act('POST', '/mute', { direction: 'both' })),
    b('Record', act('POST', '/recording_start', {})),
    b('Stop recording', act('POST', '/recording_stop')),
  );
}

const COLUMNS = [
  { title: 'Call', cell: (c) => h('a', { href: `#/calls/${c.id}` }, c.id.slice(0, 8)) },
  { title: 'Direction', cell: (c) => c.direction },
  { title: 'From', cell: (c) => addressText(c.source) },
  { title: 'To', cell: (c) => addressText(c.destination) },
  { title: 'Status', cell: (c) => h('span', { class: `status ${c.status}` }, c.status) },
  { title: 'Hold / mute', cell: (c) => [c.hold ? 'held ' : '', c.mute_direction ? `muted ${c.mute_direction}` : ''] },
  { title: 'Started', cell: (c) => c.tm_create.replace('T', ' ').slice(0, 19) },
  { title: '', cell: (c) => controls(c) },
];

/** The live list; returns its stop function (closes the event stream). */
export async function callsView(view, me) {
  const calls = new Map();
  const body = h('div', {});
  const draw = () => {
    const live = [...calls.values()].sort((a, b) => (a.tm_create < b.tm_create ? 1 : -1));
    fill(
      body,
      live.length === 0
        ? h('p', { class: 'muted', id: 'no-calls' }, 'No live calls.')
        : table('Live calls', COLUMNS, live),
    );
  };
  const put = (c) => {
    if (c.status === 'hangup' || c.tm_delete) calls.delete(c.id);
    else calls.set(c.id, c);
  };
  const load = async () => {
    const page = await api('GET', '/v1.0/calls?page_size=100');
    calls.clear();
    for (const c of page.result) put(c);
    draw();
  };
  fill(view, h('h2', {}, 'Live calls'), body);
  // Subscribed first, then listed, so no change falls between the list and the stream.
  const stream = eventStream(
    [`customer_id:${me.customerId}:call`],
    (e) => {
      if (!e.type.startsWith('call_') || !e.data?.id || e.type === 'call_deleted') {
        if (e.type === 'call_deleted') calls.delete(e.data?.id);
      } else put(e.data);
      draw();
      view.dataset.events = String(Number(view.dataset.events ?? 0) + 1);
    },
    () => load().catch((err) => showMessage(errorText(err))),
  );
  await load();
  return () => stream.close();
}
