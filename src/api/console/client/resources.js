// Numbers and extensions (the customer's), providers and routes (the project admin's) as lists with
// create and delete (docs/console.md "Numbers, extensions, providers, routes"). Passwords are typed
// into password inputs with a "Show" toggle for that one input, and never shown afterwards: the
// API does not return them.
import { api } from './api.js';
import { errorText, fill, h, table } from './dom.js';

function input(f) {
  const el = h('input', {
    id: `new-${f.name}`,
    name: f.name,
    type: f.secret ? 'password' : f.number ? 'number' : 'text',
    autocomplete: f.secret ? 'new-password' : 'off',
    spellcheck: 'false',
    placeholder: f.placeholder,
  });
  if (!f.secret) return el;
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'link',
      onclick: () => {
        el.type = el.type === 'password' ? 'text' : 'password';
        toggle.textContent = el.type === 'password' ? `Show ${f.label}` : `Hide ${f.label}`;
      },
    },
    `Show ${f.label}`,
  );
  return h('span', { class: 'secret-input' }, el, toggle);
}

/** A list of `spec.path` with a create form of `spec.fields` and a delete button per row. */
async function resourceView(view, spec) {
  const list = h('div', {});
  const errors = h('ul', { class: 'field-errors', 'aria-label': `${spec.title} errors` });
  const form = h('form', { class: 'card create', 'aria-label': `New ${spec.noun}`, novalidate: true });
  const load = async () => {
    const page = await api('GET', `/v1.0/${spec.path}?page_size=100`);
    const columns = [
      ...spec.columns,
      {
        title: '',
        cell: (r) =>
          h(
            'button',
            { type: 'button', onclick: () => remove(r), 'aria-label': `Delete ${spec.noun} ${r.id}` },
            'Delete',
          ),
      },
    ];
    fill(
      list,
      page.result.length === 0
        ? h('p', { class: 'muted' }, `No ${spec.title.toLowerCase()}.`)
        : table(spec.title, columns, page.result),
    );
  };
  const remove = async (r) => {
    fill(errors);
    try {
      await api('DELETE', `/v1.0/${spec.path}/${r.id}`);
      await load();
    } catch (err) {
      fill(errors, h('li', {}, errorText(err)));
    }
  };
  fill(
    form,
    h('h3', {}, `New ${spec.noun}`),
    spec.fields.map((f) => h('p', {}, h('label', { for: `new-${f.name}` }, f.label), ' ', input(f))),
    h('button', { type: 'submit' }, `Create ${spec.noun}`),
    errors,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fill(errors);
    const body = {};
    for (const f of spec.fields) {
      const v = form.elements[f.name].value.trim();
      if (v !== '') body[f.name] = f.number ? Number(v) : v;
    }
    try {
      await api('POST', `/v1.0/${spec.path}`, body);
      form.reset();
      await load();
    } catch (err) {
      const details = err.body?.error?.details ?? [];
      fill(
        errors,
        details.length
          ? details.map((d) => h('li', { 'data-field': d.field }, `${d.field}: ${d.reason} — ${d.message}`))
          : h('li', {}, errorText(err)),
      );
    }
  });
  fill(view, h('h2', {}, spec.title), list, form);
  await load();
}

const id = { title: 'Id', cell: (r) => r.id.slice(0, 8) };

export const numbersView = (view) =>
  resourceView(view, {
    title: 'Numbers',
    noun: 'number',
    path: 'numbers',
    fields: [
      { name: 'number', label: 'Number', placeholder: '+15550001000' },
      { name: 'call_flow_id', label: 'Call flow id' },
      { name: 'name', label: 'Name' },
    ],
    columns: [
      id,
      { title: 'Number', cell: (r) => r.number },
      { title: 'Name', cell: (r) => r.name },
      { title: 'Call flow', cell: (r) => r.call_flow_id },
    ],
  });

export const extensionsView = (view) =>
  resourceView(view, {
    title: 'Extensions',
    noun: 'extension',
    path: 'extensions',
    fields: [
      { name: 'extension', label: 'Extension', placeholder: '2001' },
      { name: 'password', label: 'SIP password', secret: true },
      { name: 'name', label: 'Name' },
    ],
    columns: [
      id,
      { title: 'Extension', cell: (r) => r.extension },
      { title: 'Username', cell: (r) => r.username },
      { title: 'Domain', cell: (r) => r.domain_name },
      { title: 'Registered', cell: (r) => String(r.registered?.length ?? 0) },
    ],
  });

export const providersView = (view) =>
  resourceView(view, {
    title: 'Providers',
    noun: 'provider',
    path: 'providers',
    fields: [
      { name: 'hostname', label: 'Hostname' },
      { name: 'port', label: 'Port', number: true },
      { name: 'transport', label: 'Transport', placeholder: 'udp' },
      { name: 'name', label: 'Name' },
      { name: 'auth_username', label: 'Auth username' },
      { name: 'auth_password', label: 'Auth password', secret: true },
    ],
    columns: [
      id,
      { title: 'Name', cell: (r) => r.name },
      { title: 'Host', cell: (r) => `${r.hostname}:${r.port}` },
      { title: 'Transport', cell: (r) => r.transport },
    ],
  });

export const routesView = (view) =>
  resourceView(view, {
    title: 'Routes',
    noun: 'route',
    path: 'routes',
    fields: [
      { name: 'provider_id', label: 'Provider id' },
      { name: 'target', label: 'Target', placeholder: '+1 or all' },
      { name: 'priority', label: 'Priority', number: true },
      { name: 'customer_id', label: 'Customer id' },
    ],
    columns: [
      id,
      { title: 'Target', cell: (r) => r.target },
      { title: 'Priority', cell: (r) => String(r.priority) },
      { title: 'Provider', cell: (r) => r.provider_id },
      { title: 'Customer', cell: (r) => r.customer_id },
    ],
  });
