import type {
  Accesskey,
  Customer,
  Extension,
  Flow,
  IdempotencyRecord,
  PhoneNumber,
  Provider,
  Registration,
  Route,
  User,
} from './types.ts';
import type { Generated } from 'kysely';
import type {
  OutboxEvent,
  StoredActiveflow,
  StoredCall,
  StoredConference,
  StoredConferencecall,
  StoredRecording,
  WebhookDelivery,
} from './row-types.ts';

/** A row type as stored: JSON columns `J` are text, optional fields are nullable columns. */
export type StoredRow<T, J extends keyof T = never> = {
  [K in keyof T]-?: K extends J ? string : undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K];
};

/** The tables of migration 0001 as kysely sees them; later modules extend it with `withTables`. */
export interface Database {
  customers: StoredRow<Customer, 'webhook_event_types' | 'metadata'>;
  accesskeys: StoredRow<Accesskey>;
  users: StoredRow<User>;
  flows: StoredRow<Flow, 'actions'>;
  numbers: StoredRow<PhoneNumber, 'metadata'>;
  extensions: StoredRow<Extension>;
  providers: StoredRow<Provider, 'tech_headers' | 'codecs'>;
  routes: StoredRow<Route>;
  idempotency_records: StoredRow<IdempotencyRecord>;
  registrations: StoredRow<Registration, 'path'>;
  outbox_events: Omit<StoredRow<OutboxEvent, 'data'>, 'position'> & { position: Generated<number> };
  outbox_sequences: { resource_type: string; resource_id: string; last_seq: number };
  webhook_deliveries: StoredRow<WebhookDelivery>;
  calls: StoredCall;
  activeflows: StoredActiveflow;
  recordings: StoredRecording;
  conferences: StoredConference;
  conferencecalls: StoredConferencecall;
}
