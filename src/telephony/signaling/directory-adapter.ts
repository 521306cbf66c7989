import type { DirectoryPort } from '../../calls/index.ts';
import { systemClock } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import type { Store } from '../../store/index.ts';

/** DirectoryPort over the store: an extension's live registrations are its contacts. */
export class DirectoryAdapter implements DirectoryPort {
  readonly #store: Pick<Store, 'extensions' | 'registrations'>;
  readonly #clock: Clock;

  constructor(options: { store: Pick<Store, 'extensions' | 'registrations'>; clock?: Clock }) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
  }

  async extensionContacts(customerId: string, extension: string): Promise<readonly string[] | undefined> {
    const row = await this.#store.extensions.findByExtension(customerId, extension);
    if (!row) return undefined;
    const bindings = await this.#store.registrations.listForExtension(
      row.id,
      new Date(this.#clock.now()).toISOString(),
    );
    return [...new Set(bindings.map((b) => b.contact))];
  }
}
