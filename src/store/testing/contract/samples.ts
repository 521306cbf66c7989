import { randomInt } from 'node:crypto';
import { NIL_UUID, newId } from '../../../shared/index.ts';
import type { Accesskey, Customer, Extension, Flow, NewRow, PhoneNumber, Provider, Route, User } from '../../types.ts';

/** A unique-enough suffix so tests sharing one database never collide on unique values. */
export function uniq(): string {
  return newId().slice(0, 8);
}

/** A random E.164 number. */
export function e164(): string {
  return `+1555${randomInt(1_000_000, 9_999_999)}`;
}

/** A new customer row. */
export function newCustomer(name = `cust-${uniq()}`): NewRow<Customer> {
  return {
    name,
    detail: 'a tenant',
    email: `${name}@example.com`,
    webhook_method: 'POST',
    webhook_uri: 'https://example.com/hook',
    webhook_secret: 'secret',
    webhook_event_types: ['call_created', 'call_hangup'],
    phone_number: '+14155550100',
    address: '1 Main St',
    metadata: { rtp_debug: true },
    moh_url: 'https://example.com/moh.wav',
  };
}

/** A new access key row of `customerId`. */
export function newAccesskey(customerId: string, tokenHash = `hash-${uniq()}`): NewRow<Accesskey> {
  return {
    customer_id: customerId,
    name: 'key',
    detail: '',
    role: 'customer',
    token_hash: tokenHash,
    token_prefix: 'vb_ab12',
  };
}

/** A new user row of `customerId`. */
export function newUser(customerId: string, username = `user-${uniq()}`): NewRow<User> {
  return {
    customer_id: customerId,
    username,
    password_hash: 'scrypt$x',
    name: 'User',
    detail: '',
    role: 'customer',
    password_version: 0,
  };
}

/** A new flow row of `customerId`. */
export function newFlow(customerId: string, name = 'flow'): NewRow<Flow> {
  return {
    customer_id: customerId,
    name,
    detail: '',
    actions: [{ type: 'answer' }, { type: 'talk', option: { text: 'hi' } }],
    on_complete_flow_id: NIL_UUID,
  };
}

/** A new phone number row of `customerId`. */
export function newNumber(customerId: string, number = e164()): NewRow<PhoneNumber> {
  return {
    customer_id: customerId,
    number,
    type: 'virtual',
    call_flow_id: NIL_UUID,
    message_flow_id: NIL_UUID,
    name: 'main',
    detail: '',
    status: 'active',
    metadata: { rtp_debug: false },
  };
}

/** A new extension row of `customerId`. */
export function newExtension(customerId: string, extension = `ext${uniq()}`): NewRow<Extension> {
  return {
    customer_id: customerId,
    extension,
    password: 'pw',
    username: `${extension}-${uniq()}`,
    domain_name: 'example.sip.local',
    name: 'desk',
    detail: '',
  };
}

/** A new platform provider row. */
export function newProvider(): NewRow<Provider> {
  return {
    customer_id: NIL_UUID,
    type: 'sip',
    hostname: 'sip.carrier.example',
    port: 5060,
    transport: 'udp',
    tech_prefix: '',
    tech_postfix: '',
    tech_headers: { 'X-Account': '42' },
    auth_username: 'acct',
    auth_password: 'pw',
    name: 'carrier',
    detail: '',
    codecs: ['PCMU', 'PCMA'],
  };
}

/** A new route row of `customerId` (NIL_UUID for a platform route). */
export function newRoute(customerId: string, priority: number, target = 'all'): NewRow<Route> {
  return { customer_id: customerId, provider_id: newId(), priority, target, name: `p${priority}`, detail: '' };
}
