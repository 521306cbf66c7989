// The web console at /console (docs/console.md): sign-in, then one view per section, picked by the
// URL's hash (`#/calls`, `#/calls/<id>`, `#/flows`, …), each drawn from the API by its module.
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { signInKey, signInUser, signOut, whoAmI } from './api.js';
import { callPage } from './call-page.js';
import { callsView } from './calls.js';
import { errorText, fill, h, showMessage } from './dom.js';
import { flowsView } from './flows.js';
import { recordingsView } from './recordings.js';
import { extensionsView, numbersView, providersView, routesView } from './resources.js';
import { settingsView, webhooksView } from './webhooks.js';

const $ = (id) => document.getElementById(id);
/** What tests read: the signed-in identity and the view shown. */
const state = { me: null, view: '' };
window.__console = state;

const VIEWS = {
  calls: callsView,
  recordings: recordingsView,
  flows: flowsView,
  numbers: numbersView,
  extensions: extensionsView,
  providers: providersView,
  routes: routesView,
  webhooks: webhooksView,
  settings: settingsView,
};
const ADMIN_ONLY = new Set(['providers', 'routes']);

let stopView = null;

async function route() {
  if (!state.me) return;
  stopView?.();
  stopView = null;
  showMessage('');
  const [first, id] = location.hash.replace(/^#\/?/, '').split('/');
  const name = first || 'calls';
  const view = $('view');
  const known = VIEWS[name] && (!ADMIN_ONLY.has(name) || state.me.admin);
  state.view = known ? (name === 'calls' && id ? 'call' : name) : 'not-found';
  for (const a of document.querySelectorAll('#nav a'))
    a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${name}`);
  if (!known) {
    fill(view, h('h2', {}, 'Not found'), h('p', {}, 'There is no such page.'));
    return;
  }
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  try {
    stopView = (await (name === 'calls' && id ? callPage(view, id, state.me) : VIEWS[name](view, state.me))) ?? null;
  } catch (err) {
    fill(view, h('p', { class: 'error' }, errorText(err)));
  }
}

function signedIn(me) {
  state.me = me;
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = `${me.name || me.customerId}${me.admin ? ' (project admin)' : ''}`;
  for (const a of document.querySelectorAll('[data-admin]')) a.hidden = !me.admin;
  return route();
}

function signedOut() {
  stopView?.();
  stopView = null;
  state.me = null;
  state.view = 'signin';
  $('signin').hidden = false;
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  fill($('view'));
}

async function attempt(signIn) {
  showMessage('');
  try {
    await signIn();
    $('password').value = '';
    $('accesskey').value = '';
    await signedIn(await whoAmI());
  } catch (err) {
    showMessage(errorText(err));
  }
}

$('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  attempt(() => signInUser($('username').value, $('password').value));
});
$('signin-key').addEventListener('click', () => attempt(() => signInKey($('accesskey').value.trim())));
$('signout').addEventListener('click', async () => {
  await signOut();
  signedOut();
});
window.addEventListener('hashchange', route);

// A cookie or a key from before a reload signs in again; anything else shows the form.
whoAmI().then(signedIn, signedOut);
