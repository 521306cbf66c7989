// Flows (docs/console.md "Flows"): the customer's flows, and a JSON editor (CodeMirror) of a flow's
// actions checked against `GET /flows/schema` as you type; saving shows the API's field errors
// (`error.details[].field/reason/message`) next to the editor.
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { syntaxTree } from '@codemirror/language';
import { linter, lintGutter } from '@codemirror/lint';
import { EditorView, basicSetup } from 'codemirror';
import { ApiFailure, api } from './api.js';
import { errorText, fill, h, showMessage, table } from './dom.js';
import { checkActions } from './schema-check.js';

const STARTER = [
  { type: 'answer' },
  { type: 'talk', option: { text: 'Hello from callbin', language: 'en-US' } },
  { type: 'hangup' },
];

/** The span of the `index`-th element of the document's top-level array, or the whole document. */
function actionRange(state, index) {
  const array = syntaxTree(state).topNode.firstChild;
  let i = 0;
  for (let n = array?.firstChild; n; n = n.nextSibling) {
    if (n.name === '[' || n.name === ']' || n.name === ',' || n.type.isError) continue;
    if (i++ === index) return { from: n.from, to: n.to };
  }
  return { from: 0, to: state.doc.length };
}

function schemaLinter(schema) {
  const syntax = jsonParseLinter();
  return (view) => {
    const broken = syntax(view);
    if (broken.length) return broken;
    const issues = checkActions(JSON.parse(view.state.doc.toString()), schema);
    return issues.map((i) => {
      const m = /^actions\[(\d+)\]/.exec(i.path);
      const range = m ? actionRange(view.state, Number(m[1])) : { from: 0, to: view.state.doc.length };
      return { ...range, severity: 'error', message: `${i.path}: ${i.message}` };
    });
  };
}

/** The editor of one flow (`flow` undefined for a new one); `saved` runs after a save. */
function editor(box, schema, flow, saved) {
  const name = h('input', { id: 'flow-name', value: flow?.name ?? '', 'aria-label': 'Flow name' });
  const errors = h('ul', { class: 'field-errors', 'aria-label': 'Field errors', id: 'flow-errors' });
  const host = h('div', { class: 'editor', 'aria-label': 'Flow actions (JSON)' });
  const view = new EditorView({
    doc: JSON.stringify(flow?.actions ?? STARTER, null, 2),
    extensions: [
      basicSetup,
      json(),
      lintGutter(),
      linter(schemaLinter(schema), { delay: 300 }),
      // The page's CSP admits style elements with its nonce only (docs/console.md "Serving").
      EditorView.cspNonce.of(document.querySelector('meta[name="style-nonce"]')?.content ?? ''),
    ],
    parent: host,
  });
  window.__flowEditor = view;
  const save = async () => {
    fill(errors);
    let actions;
    try {
      actions = JSON.parse(view.state.doc.toString());
    } catch (err) {
      fill(errors, h('li', {}, `not JSON: ${err.message}`));
      return;
    }
    try {
      const body = { name: name.value, actions };
      const out = flow ? await api('PUT', `/v1.0/flows/${flow.id}`, body) : await api('POST', '/v1.0/flows', body);
      fill(errors, h('li', { class: 'ok' }, `Saved flow ${out.id}`));
      saved(out);
    } catch (err) {
      const details = err instanceof ApiFailure ? (err.body?.error?.details ?? []) : [];
      if (details.length === 0) fill(errors, h('li', {}, errorText(err)));
      else
        fill(
          errors,
          details.map((d) =>
            h(
              'li',
              { 'data-field': d.field, 'data-reason': d.reason },
              h('code', {}, d.field),
              ` ${d.reason}: ${d.message}`,
            ),
          ),
        );
    }
  };
  fill(
    box,
    h('h3', {}, flow ? `Edit flow ${flow.id}` : 'New flow'),
    h('label', { for: 'flow-name' }, 'Name'),
    name,
    h('div', { class: 'editor-row' }, host, errors),
    h('button', { type: 'button', onclick: save }, 'Save flow'),
  );
}

export async function flowsView(view) {
  const schema = await api('GET', '/v1.0/flows/schema');
  const list = h('div', {});
  const edit = h('section', { class: 'card', 'aria-label': 'Flow editor' });
  const load = async () => {
    const page = await api('GET', '/v1.0/flows?page_size=100');
    fill(
      list,
      table(
        'Flows',
        [
          { title: 'Flow', cell: (f) => f.id.slice(0, 8) },
          { title: 'Name', cell: (f) => f.name },
          { title: 'Actions', cell: (f) => String(f.actions?.length ?? 0) },
          {
            title: '',
            cell: (f) => [
              h('button', { type: 'button', onclick: () => editor(edit, schema, f, load) }, 'Edit'),
              ' ',
              h('button', { type: 'button', onclick: () => remove(f) }, 'Delete'),
            ],
          },
        ],
        page.result,
      ),
    );
  };
  const remove = async (f) => {
    try {
      await api('DELETE', `/v1.0/flows/${f.id}`);
      await load();
    } catch (err) {
      showMessage(errorText(err));
    }
  };
  fill(
    view,
    h('h2', {}, 'Flows'),
    h('button', { type: 'button', onclick: () => editor(edit, schema, undefined, load) }, 'New flow'),
    list,
    edit,
  );
  await load();
}
