/** Who a stored credential or login acts as. */
export type Role = 'admin' | 'customer';

/** A tenant: owns every other customer-facing resource. */
export interface Customer {
  id: string;
  name: string;
  detail: string;
  email: string;
  webhook_method: string;
  webhook_uri: string;
  webhook_secret: string;
  webhook_event_types: string[];
  /** A contact number (E.164) or ''; stored and echoed (docs/voipbin-compatibility.md "Customers"). */
  phone_number?: string;
  /** A postal address, free text; stored and echoed. */
  address?: string;
  /** VoIPBIN's configuration flags (`PUT /customer/metadata`); `{}` for rows made before them. */
  metadata?: VoipbinMetadata;
  /** The http(s) WAV or MP3 its held calls hear, '' for the built-in music (docs/calls.md "Music on hold"). */
  moh_url?: string;
  /** `frozen` refuses its credentials and calls until recovered (docs/api.md "Freezing a customer"); `active` when absent. */
  status?: CustomerStatus;
  /** When the customer was frozen (VoIPBIN schedules its deletion from then); absent when not frozen. */
  tm_deletion_scheduled?: string;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** Whether a customer may use callbin (`active`) or is frozen. */
export type CustomerStatus = 'active' | 'frozen';

/** VoIPBIN's configuration flags of a customer or a number, stored and echoed; callbin acts on none. */
export interface VoipbinMetadata {
  /** VoIPBIN captures the RTP of the calls as PCAP when set; callbin does not. */
  rtp_debug?: boolean;
}

/** An API access key; only the SHA-256 hash of the token is stored. */
export interface Accesskey {
  id: string;
  customer_id: string;
  name: string;
  detail: string;
  role: Role;
  token_hash: string;
  token_prefix: string;
  /** Project admin keys only (customer_id is the nil UUID): the customer they act for. */
  acting_customer_id?: string;
  tm_expire?: string;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** A login of a customer (username unique among the customer's live users). */
export interface User {
  id: string;
  customer_id: string;
  username: string;
  password_hash: string;
  name: string;
  detail: string;
  role: Role;
  /** Project admin users only (customer_id is the nil UUID): the customer they act for. */
  acting_customer_id?: string;
  /** Bumped on each password change; login tokens of an older version are refused. */
  password_version: number;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** A stored flow: an ordered list of actions. */
export interface Flow {
  id: string;
  customer_id: string;
  name: string;
  detail: string;
  actions: unknown[];
  /** The flow VoIPBIN runs after this one; stored and echoed, the nil UUID when none. */
  on_complete_flow_id?: string;
  /** `sip:direct.<hash>@<customer domain>` reaches it (docs/api.md "Direct addresses"); '' for none. */
  direct_hash?: string;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** A phone number owned by a customer (unique platform-wide among live rows). */
export interface PhoneNumber {
  id: string;
  customer_id: string;
  number: string;
  /** VoIPBIN's `normal` or `virtual`; `normal` for rows made before it (docs/voipbin-compatibility.md "Numbers"). */
  type?: string;
  call_flow_id: string;
  /** The flow of incoming messages; stored and echoed (callbin carries no messages), the nil UUID when none. */
  message_flow_id?: string;
  name: string;
  detail: string;
  status: string;
  /** VoIPBIN's configuration flags (`PUT /numbers/{id}/metadata`). */
  metadata?: VoipbinMetadata;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** HA1 = H(username:realm:password) of one digest username in one realm (RFC 7616 §3.4.2). */
export interface SipDigestHa1 {
  username: string;
  realm: string;
  md5: string;
  sha256: string;
}

/** A SIP extension that phones register as. */
export interface Extension {
  id: string;
  customer_id: string;
  extension: string;
  /** Write-only: the plaintext is never stored (always '' in the table; see `digest_ha1`). */
  password: string;
  /** What digest authentication checks against, per username and realm the extension answers in. */
  digest_ha1?: SipDigestHa1[];
  username: string;
  domain_name: string;
  name: string;
  detail: string;
  /** `sip:direct.<hash>@<customer domain>` reaches it (docs/api.md "Direct addresses"); '' for none. */
  direct_hash?: string;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** A platform-wide SIP trunk for outgoing calls (customer_id is the nil UUID). */
export interface Provider {
  id: string;
  customer_id: string;
  type: string;
  hostname: string;
  port: number;
  transport: string;
  tech_prefix: string;
  tech_postfix: string;
  tech_headers: Record<string, string>;
  auth_username: string;
  auth_password: string;
  name: string;
  detail: string;
  codecs: string[];
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** Which provider carries calls to a target (`+<country code>` or `all`), by priority. */
export interface Route {
  id: string;
  customer_id: string;
  provider_id: string;
  priority: number;
  target: string;
  name: string;
  detail: string;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** The first response to a POST, replayed for a repeat with the same credential and key. */
export interface IdempotencyRecord {
  credential_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  tm_create: string;
}

/** A SIP contact binding of an extension (RFC 3261 §10), unique per (extension_id, contact). */
export interface Registration {
  id: string;
  customer_id: string;
  extension_id: string;
  contact: string;
  transport: string;
  source: string;
  call_id: string;
  cseq: number;
  user_agent: string;
  tm_expire: string;
  /** The REGISTER's Path values in order (RFC 3327 §5.3), the route set to the contact; [] without one. */
  path: string[];
  tm_create: string;
  tm_update: string;
}

/** A row as a caller creates it: no bookkeeping timestamps, `id` optional (a fresh UUID when absent). */
export type NewRow<T extends { id: string }> = Omit<T, 'id' | 'tm_create' | 'tm_update' | 'tm_delete'> & {
  id?: string;
};

/** The fields an update may change: everything but the id and the bookkeeping timestamps. */
export type Patch<T extends { id: string }> = Partial<Omit<T, 'id' | 'tm_create' | 'tm_update' | 'tm_delete'>>;

/** One page of a list, newest first; `nextPageToken` is `''` on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

/** Restricts a call to one customer's rows; rows of other customers are invisible. */
export interface Scope {
  customerId?: string;
}

/** Options of `Repo.list`. */
export type ListOptions = Scope & { pageSize: number; pageToken?: string; filter?: Record<string, string> };

/** CRUD over one soft-deletable table. */
export interface Repo<T extends { id: string }> {
  /** Insert a row; a unique violation throws ConflictError `ALREADY_EXISTS` naming the field. */
  create(row: NewRow<T>): Promise<T>;
  /** A live row by id, or undefined. */
  get(id: string, scope?: Scope): Promise<T | undefined>;
  /** Live rows, newest first, by keyset pagination. */
  list(opts: ListOptions): Promise<Page<T>>;
  /** Change fields of a live row and stamp `tm_update`. */
  update(id: string, patch: Patch<T>, scope?: Scope): Promise<T | undefined>;
  /** Soft-delete a live row and return it with `tm_delete` set. */
  delete(id: string, scope?: Scope): Promise<T | undefined>;
}

/** Access keys, plus lookup by token hash. */
export interface AccesskeyRepo extends Repo<Accesskey> {
  /** The live access key whose token hashes to `hash`. */
  findByTokenHash(hash: string): Promise<Accesskey | undefined>;
  /** The key whose token hashes to `hash`, deleted or not. */
  findAnyByTokenHash(hash: string): Promise<Accesskey | undefined>;
  /** Undo the soft delete of a key. */
  restore(id: string): Promise<Accesskey | undefined>;
  /** The customer the project admin's keys act for (deleted keys included), if any key ever existed. */
  projectActingCustomer(): Promise<string | undefined>;
}

/** Users, plus lookup by username. */
export interface UserRepo extends Repo<User> {
  /** The live user called `username` of customer `customerId` (the nil UUID: the project scope). */
  findByUsername(customerId: string, username: string): Promise<User | undefined>;
  /** Live users called `username` in any customer, oldest first, at most `limit`. */
  listByUsername(username: string, limit: number): Promise<User[]>;
  /** The customer the project admin's users act for (deleted users included), if any. */
  projectActingCustomer(): Promise<string | undefined>;
}

/** Phone numbers, plus lookup by number. */
export interface NumberRepo extends Repo<PhoneNumber> {
  /** The live row holding `number` (E.164). */
  findByNumber(number: string): Promise<PhoneNumber | undefined>;
}

/** Extensions, plus the lookups the registrar and dialler need. */
export interface ExtensionRepo extends Repo<Extension> {
  /** The live extension whose SIP username is `username`. */
  findByUsername(username: string): Promise<Extension | undefined>;
  /** The live extension `extension` of customer `customerId`. */
  findByExtension(customerId: string, extension: string): Promise<Extension | undefined>;
}

/** Routes, plus the candidate list for one customer's outgoing calls. */
export interface RouteRepo extends Repo<Route> {
  /** Live routes of `customerId` and platform routes (nil UUID), by priority ascending. */
  listForCustomer(customerId: string): Promise<Route[]>;
}

/** Stored first responses for `Idempotency-Key`. */
export interface IdempotencyRepo {
  /** The record for (credentialId, key), or undefined. */
  get(credentialId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Store a record; false when one with the same (credential_id, key) exists already. */
  put(record: IdempotencyRecord): Promise<boolean>;
  /** Record the response of a reserved key (a record put with status_code 0). */
  complete(credentialId: string, key: string, statusCode: number, responseBody: string): Promise<void>;
  /** Reserve the key again over `prior`, an unanswered reservation whose process is gone; false when it changed meanwhile. */
  takeOver(prior: IdempotencyRecord, record: IdempotencyRecord): Promise<boolean>;
  /** Remove one record, freeing the key. */
  release(credentialId: string, key: string): Promise<void>;
  /** Delete records created before `iso` (at most `limit` when given); returns how many. */
  purgeBefore(iso: string, limit?: number): Promise<number>;
}

/** A contact binding as the registrar writes it. */
export type NewRegistration = Omit<Registration, 'id' | 'tm_create' | 'tm_update' | 'path'> & {
  id?: string;
  path?: string[];
};

/** SIP contact bindings of extensions. */
export interface RegistrationRepo {
  /** Insert or replace the binding of (extension_id, contact); keeps the first id and tm_create. */
  upsert(binding: NewRegistration): Promise<Registration>;
  /** Bindings of an extension that expire after `nowIso`, newest first. */
  listForExtension(extensionId: string, nowIso: string): Promise<Registration[]>;
  /** Remove one binding; true when it existed. */
  remove(extensionId: string, contact: string): Promise<boolean>;
  /** Delete bindings that expired at or before `nowIso`; returns how many. */
  purgeExpired(nowIso: string): Promise<number>;
}
