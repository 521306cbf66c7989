import { digestHa1s } from '../sip/index.ts';
import type { Extension, SipDigestHa1 } from './types.ts';

/**
 * The HA1 values an extension authenticates with (docs/architecture.md "Registrar"): in the
 * platform realm (the SIP domain) with its platform-unique digest username, and in its customer's
 * realm (`domain_name`, `<customer id>.<sip domain>`) with that username or its extension name.
 * Realms are lower-case, as the registrar challenges with them.
 */
export function extensionDigestHa1(
  ext: Pick<Extension, 'customer_id' | 'extension' | 'username' | 'domain_name'>,
  password: string,
): SipDigestHa1[] {
  const tenantRealm = ext.domain_name.toLowerCase();
  const prefix = `${ext.customer_id.toLowerCase()}.`;
  const platformRealm = tenantRealm.startsWith(prefix) ? tenantRealm.slice(prefix.length) : tenantRealm;
  const pairs: [string, string][] = [
    [ext.username, platformRealm],
    [ext.username, tenantRealm],
    [ext.extension, tenantRealm],
  ];
  return pairs.map(([username, realm]) => {
    const ha1 = digestHa1s(username, realm, password);
    return { username, realm, md5: ha1['MD5'], sha256: ha1['SHA-256'] };
  });
}
