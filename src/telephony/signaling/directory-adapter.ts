import type { DirectoryPort } from '../../calls/index.ts';
import { isUuid, systemClock } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import type { Registration, Store } from '../../store/index.ts';

/** Where a registration came from when only its connection reaches it: a WebSocket (RFC 7118 §5). */
export interface ContactConnection {
  transport: 'WS' | 'WSS';
  host: string;
  port: number;
}

/** How to reach each registered contact of an extension. */
export interface ContactRoutes {
  /** Contact (as the directory listed it) → its Path values in order; contacts without a Path are absent. */
  contactRoutes(customerId: string, extension: string): Promise<ReadonlyMap<string, readonly string[]>>;
  /**
   * Contact → the WebSocket its REGISTER came over: a browser's Contact host is a made-up `.invalid`
   * name (RFC 7118 §5.2), so requests to it go back over that connection. Other contacts are absent.
   */
  contactConnections?(customerId: string, extension: string): Promise<ReadonlyMap<string, ContactConnection>>;
  /** The extension's name when `extension` is its id (the To header names the extension, not its id). */
  extensionName?(customerId: string, extension: string): Promise<string | undefined>;
}

/** `ws:203.0.113.7:51000` (a binding's source) as a connection, or undefined for other transports. */
export function connectionOfSource(source: string): ContactConnection | undefined {
  const m = /^(wss?):(?:\[([^\]]+)\]|([^:]+)):(\d+)$/i.exec(source);
  if (!m) return undefined;
  const port = Number(m[4]);
  if (!(port > 0 && port < 65536)) return undefined;
  return { transport: (m[1] as string).toUpperCase() as 'WS' | 'WSS', host: (m[2] ?? m[3]) as string, port };
}

/**
 * DirectoryPort over the store: an extension's live registrations are its contacts, with their Path.
 * An extension is named by its `extension` or by its id (docs/calls.md "Creating calls"); either way only
 * the customer's own extensions are found.
 */
export class DirectoryAdapter implements DirectoryPort, ContactRoutes {
  readonly #store: Pick<Store, 'extensions' | 'registrations'>;
  readonly #clock: Clock;

  constructor(options: { store: Pick<Store, 'extensions' | 'registrations'>; clock?: Clock }) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
  }

  async extensionContacts(customerId: string, extension: string): Promise<readonly string[] | undefined> {
    const bindings = await this.#bindings(customerId, extension);
    return bindings && [...new Set(bindings.map((b) => b.contact))];
  }

  async contactRoutes(customerId: string, extension: string): Promise<ReadonlyMap<string, readonly string[]>> {
    const routes = new Map<string, readonly string[]>();
    for (const b of (await this.#bindings(customerId, extension)) ?? [])
      if (b.path.length > 0 && !routes.has(b.contact)) routes.set(b.contact, b.path);
    return routes;
  }

  async contactConnections(customerId: string, extension: string): Promise<ReadonlyMap<string, ContactConnection>> {
    const connections = new Map<string, ContactConnection>();
    for (const b of (await this.#bindings(customerId, extension)) ?? []) {
      const connection = connectionOfSource(b.source);
      if (connection && !connections.has(b.contact)) connections.set(b.contact, connection);
    }
    return connections;
  }

  async extensionName(customerId: string, extension: string): Promise<string | undefined> {
    if (!isUuid(extension)) return extension;
    return (await this.#store.extensions.get(extension.toLowerCase(), { customerId }))?.extension;
  }

  async #bindings(customerId: string, extension: string): Promise<Registration[] | undefined> {
    const row = isUuid(extension)
      ? await this.#store.extensions.get(extension.toLowerCase(), { customerId })
      : await this.#store.extensions.findByExtension(customerId, extension);
    if (!row) return undefined;
    return this.#store.registrations.listForExtension(row.id, new Date(this.#clock.now()).toISOString());
  }
}
