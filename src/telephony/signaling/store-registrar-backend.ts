import type { Binding, RegistrarAccount, RegistrarBackend } from '../../sip/index.ts';
import type { TransportProtocol } from '../../sip/index.ts';
import type { Clock } from '../../shared/index.ts';
import type { Registration, Store } from '../../store/index.ts';

const TRANSPORTS: readonly TransportProtocol[] = ['UDP', 'TCP', 'TLS', 'WS', 'WSS'];
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toBinding(r: Registration): Binding {
  const transport = TRANSPORTS.find((t) => t === r.transport.toUpperCase()) ?? 'UDP';
  return {
    extensionId: r.extension_id,
    customerId: r.customer_id,
    contact: r.contact,
    transport,
    source: r.source,
    callId: r.call_id,
    cseq: r.cseq,
    userAgent: r.user_agent,
    expiresAtMs: Date.parse(r.tm_expire),
    path: r.path,
  };
}

/**
 * The registrar's accounts and bindings in the store. Tenancy (docs/media.md): a customer's domain is
 * `<customer id>.<sip domain>`; a REGISTER to it is challenged in that realm and may authenticate
 * with the extension name; anything else (the bare IP, the platform domain) is challenged in the
 * platform realm and needs the platform-unique digest username.
 */
export class StoreRegistrarBackend implements RegistrarBackend {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #sipDomain: string;
  readonly #tenantDomain: RegExp;

  constructor(options: { store: Store; clock: Clock; sipDomain: string }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#sipDomain = options.sipDomain.toLowerCase();
    this.#tenantDomain = new RegExp(`^(${UUID})\\.${escapeRegExp(this.#sipDomain)}$`);
  }

  /** The customer id of a tenant domain, or undefined for any other host. */
  tenantOf(domain: string): string | undefined {
    return this.#tenantDomain.exec(domain.toLowerCase())?.[1];
  }

  /** A customer's own domain is its realm; every other host shares the platform realm. */
  realmFor(domain: string): string {
    return this.tenantOf(domain) !== undefined ? domain.toLowerCase() : this.#sipDomain;
  }

  /** The live extension by digest username (or by extension name inside its customer's domain). */
  async findAccount(query: { username: string; domain: string }): Promise<RegistrarAccount | undefined> {
    const tenant = this.tenantOf(query.domain);
    let ext = await this.#store.extensions.findByUsername(query.username);
    if (!ext && tenant !== undefined) ext = await this.#store.extensions.findByExtension(tenant, query.username);
    if (!ext || (tenant !== undefined && ext.customer_id !== tenant)) return undefined;
    const realm = this.realmFor(query.domain);
    // Only HA1 values are stored (docs/architecture.md "Registrar"): one per username and realm.
    const ha1 = ext.digest_ha1?.find((h) => h.username === query.username && h.realm === realm);
    if (!ha1) return undefined;
    return {
      extensionId: ext.id,
      customerId: ext.customer_id,
      username: ext.username,
      extension: ext.extension,
      ha1: { MD5: ha1.md5, 'SHA-256': ha1.sha256 },
      realm,
    };
  }

  /** Upsert the (extension, contact) row, its Path (RFC 3327 §5.3) included. */
  async saveBinding(b: Binding): Promise<void> {
    await this.#store.registrations.upsert({
      customer_id: b.customerId,
      extension_id: b.extensionId,
      contact: b.contact,
      transport: b.transport,
      source: b.source,
      call_id: b.callId,
      cseq: b.cseq,
      user_agent: b.userAgent,
      tm_expire: new Date(b.expiresAtMs).toISOString(),
      path: b.path,
    });
  }

  /** Delete one row. */
  async removeBinding(extensionId: string, contact: string): Promise<void> {
    await this.#store.registrations.remove(extensionId, contact);
  }

  /** Delete every row of the extension, expired ones included. */
  async removeAll(extensionId: string): Promise<void> {
    const rows = await this.#store.registrations.listForExtension(extensionId, new Date(0).toISOString());
    for (const r of rows) await this.#store.registrations.remove(extensionId, r.contact);
  }

  /** The extension's unexpired rows. */
  async listBindings(extensionId: string): Promise<Binding[]> {
    const rows = await this.#store.registrations.listForExtension(
      extensionId,
      new Date(this.#clock.now()).toISOString(),
    );
    return rows.map(toBinding);
  }
}
