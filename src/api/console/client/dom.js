// Small DOM helpers of the console (docs/console.md). Text always goes in as text nodes, never as
// HTML, so nothing the API returns can inject markup.

/** An element: `h('button', {type: 'button', onclick}, 'Hang up')`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'hidden') el.hidden = true;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Number.POSITIVE_INFINITY)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

/** Replaces what `el` holds. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The page's one alert line; '' hides it. */
export function showMessage(text) {
  const el = document.getElementById('message');
  el.textContent = text;
  el.hidden = text === '';
}

/** A table of `rows` with `columns` [{title, cell(row) → node|text}]. */
export function table(label, columns, rows) {
  return h(
    'table',
    { 'aria-label': label },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c.title)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          { 'data-id': r.id },
          columns.map((c) => h('td', {}, c.cell(r))),
        ),
      ),
    ),
  );
}

/** The text of an API error: its message, and each field's reason. */
export function errorText(err) {
  if (!err?.body?.error) return String(err?.message ?? err);
  const e = err.body.error;
  const details = (e.details ?? []).map((d) => `${d.field}: ${d.reason} — ${d.message}`);
  return [`${e.reason}: ${e.message}`, ...details].join('\n');
}

/** `value` rendered as `••••••` with a "Reveal" button that shows it (docs/console.md "Secrets"). */
export function secret(label, load) {
  const out = h('code', { class: 'secret', 'aria-label': label }, '••••••••');
  const button = h(
    'button',
    {
      type: 'button',
      class: 'link',
      onclick: async () => {
        out.textContent = await load();
        button.remove();
      },
    },
    `Reveal ${label}`,
  );
  return h('span', {}, out, ' ', button);
}
