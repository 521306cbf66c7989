// The console's side of the API (docs/console.md "Signing in"): a login user's token travels in the
// HttpOnly `token` cookie the login sets, an access key in the Authorization header (kept in this
// tab's sessionStorage only); the event stream's WebSocket carries the key as `?accesskey=`.

const KEY = 'callbin.console.accesskey';

/** An API answer that was not 2xx: `status` and the error envelope as `body`. */
export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function headers(json) {
  const key = sessionStorage.getItem(KEY);
  return {
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...(json ? { 'content-type': 'application/json' } : {}),
  };
}

/** `method path` with an optional JSON body; resolves with the parsed answer, throws ApiFailure. */
export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = { error: { reason: 'BAD_ANSWER', message: text.slice(0, 200) } };
  }
  if (!res.ok) throw new ApiFailure(res.status, parsed);
  return parsed;
}

/** A binary answer (a recording) as a Blob, with the same credential. */
export async function apiBlob(path) {
  const res = await fetch(path, { headers: headers(false), credentials: 'same-origin' });
  if (!res.ok) throw new ApiFailure(res.status, await res.json().catch(() => null));
  return res.blob();
}

/** Signs in a user: the login sets the cookie; nothing is kept in script. */
export async function signInUser(username, password) {
  sessionStorage.removeItem(KEY);
  await api('POST', '/v1.0/auth/login', { username, password });
}

/** Signs in with an access key: checked by a first request, then kept for this tab. */
export async function signInKey(key) {
  sessionStorage.setItem(KEY, key);
  try {
    return await whoAmI();
  } catch (err) {
    sessionStorage.removeItem(KEY);
    throw err;
  }
}

/** Forgets the key and clears the login cookie. */
export async function signOut() {
  sessionStorage.removeItem(KEY);
  await fetch('/console/signout', { method: 'POST', credentials: 'same-origin' });
}

/**
 * Who the credential is: the customer id and name (the answer's webhook secret is dropped here and
 * fetched again only when revealed), and whether it is the project admin (providers are admin-only).
 */
export async function whoAmI() {
  const customer = await api('GET', '/v1.0/customer');
  let admin = false;
  try {
    await api('GET', '/v1.0/providers?page_size=1');
    admin = true;
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status !== 403) throw err;
  }
  return { customerId: customer.id, name: customer.name, admin };
}

/**
 * The event stream (docs/events.md "WebSocket event stream") subscribed to `topics`; `onEvent` gets
 * each envelope. Reconnects a second after a drop; `close()` ends it.
 */
export function eventStream(topics, onEvent, onOpen) {
  let socket;
  let closed = false;
  const open = () => {
    const key = sessionStorage.getItem(KEY);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = key ? `?accesskey=${encodeURIComponent(key)}` : '';
    socket = new WebSocket(`${scheme}://${location.host}/v1.0/ws${query}`);
    socket.onopen = () => socket.send(JSON.stringify({ type: 'subscribe', topics }));
    socket.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'subscribed') onOpen?.();
      else if (msg.event_id) onEvent(msg);
    };
    socket.onclose = () => {
      if (!closed) setTimeout(open, 1000);
    };
  };
  open();
  return {
    close: () => {
      closed = true;
      socket?.close();
    },
  };
}
