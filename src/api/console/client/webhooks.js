// The webhook delivery log with redeliver, and the customer's settings with the webhook secret
// hidden until "Reveal" (docs/console.md "Webhooks", "Secrets").
import { api } from './api.js';
import { errorText, fill, h, secret, showMessage, table } from './dom.js';

export async function webhooksView(view) {
  const list = h('div', {});
  const load = async () => {
    const page = await api('GET', '/v1.0/webhook_deliveries?page_size=100');
    fill(
      list,
      page.result.length === 0
        ? h('p', { class: 'muted' }, 'No deliveries.')
        : table(
            'Webhook deliveries',
            [
              { title: 'Event', cell: (d) => d.event_type },
              { title: 'Resource', cell: (d) => `${d.resource_type} ${d.resource_id.slice(0, 8)} #${d.seq}` },
              { title: 'Target', cell: (d) => `${d.method} ${d.uri.split('?')[0]}` },
              { title: 'Status', cell: (d) => h('span', { class: `status ${d.status}` }, d.status) },
              { title: 'Attempts', cell: (d) => String(d.attempts) },
              { title: 'Last answer', cell: (d) => (d.last_status_code ? String(d.last_status_code) : d.last_error) },
              { title: 'Latency', cell: (d) => `${Math.round(d.latency_ms)} ms` },
              { title: 'Updated', cell: (d) => d.tm_update },
              {
                title: '',
                cell: (d) =>
                  h(
                    'button',
                    { type: 'button', onclick: () => redeliver(d), 'aria-label': `Redeliver ${d.id}` },
                    'Redeliver',
                  ),
              },
            ],
            page.result,
          ),
    );
  };
  const redeliver = async (d) => {
    showMessage('');
    try {
      await api('POST', `/v1.0/webhook_deliveries/${d.id}/redeliver`);
      await load();
    } catch (err) {
      showMessage(errorText(err));
    }
  };
  fill(view, h('h2', {}, 'Webhook deliveries'), h('button', { type: 'button', onclick: load }, 'Refresh'), list);
  await load();
}

/** The customer's settings: the webhook target, and its secret behind "Reveal". */
export async function settingsView(view) {
  const c = await api('GET', '/v1.0/customer');
  const rows = [
    ['Customer', c.id],
    ['Name', c.name],
    ['Webhook', `${c.webhook_method} ${c.webhook_uri}`],
    ['Event types', (c.webhook_event_types ?? []).join(', ') || 'all'],
  ];
  fill(
    view,
    h('h2', {}, 'Settings'),
    h(
      'dl',
      { class: 'details' },
      rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')]),
      h('dt', {}, 'Webhook secret'),
      h(
        'dd',
        {},
        secret('webhook secret', async () => (await api('GET', '/v1.0/customer')).webhook_secret),
      ),
    ),
  );
  // The secret of the first answer is not kept: it is read again on "Reveal".
  c.webhook_secret = undefined;
}
