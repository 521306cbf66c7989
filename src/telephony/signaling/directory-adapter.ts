import type { DirectoryPort } from '../../calls/index.ts';
import { systemClock } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import type { Registration, Store } from '../../store/index.ts';

/** The pre-loaded route set of each registered contact of an extension (RFC 3327 §5.3: its Path). */
export interface ContactRoutes {
  /** Contact (as the directory listed it) → its Path values in order; contacts without a Path are absent. */
  contactRoutes(customerId: string, extension: string): Promise<ReadonlyMap<string, readonly string[]>>;
}

/** DirectoryPort over the store: an extension's live registrations are its contacts, with their Path. */
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

  async #bindings(customerId: string, extension: string): Promise<Registration[] | undefined> {
    const row = await this.#store.extensions.findByExtension(customerId, extension);
    if (!row) return undefined;
    return this.#store.registrations.listForExtension(row.id, new Date(this.#clock.now()).toISOString());
  }
}
