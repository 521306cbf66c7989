import { Type } from 'typebox';
import { Id, StoredTimes, TimeOrNull, listOf, obj, oneOf, opt } from './common.ts';
import { Metadata } from './numbers.ts';
import type { ResponseMap } from './response-map.ts';

const customerFields = {
  id: Id,
  name: Type.String(),
  detail: Type.String(),
  email: Type.String(),
  phone_number: Type.String(),
  address: Type.String(),
  webhook_method: Type.String(),
  webhook_uri: Type.String(),
  webhook_event_types: Type.Array(Type.String()),
  metadata: Metadata,
  status: oneOf(['active', 'frozen']),
  tm_deletion_scheduled: TimeOrNull,
  moh_url: opt(Type.String({ description: 'the music on hold of its calls; "" for the built-in one' })),
  ...StoredTimes,
};

/** A customer as the project admin sees it (no webhook secret). */
export const Customer = obj(customerFields, 'a customer');

/** The caller's own customer, with its webhook secret. */
export const OwnCustomer = obj(
  { ...customerFields, webhook_secret: Type.String({ description: 'signs the webhooks (docs/webhooks.md)' }) },
  "the caller's customer",
);

/** `/customers` (project admin) and `/customer`. */
export const customerResponses: ResponseMap = {
  'POST /customers': Customer,
  'GET /customers': listOf(Customer, 'a page of customers'),
  'GET /customers/:id': Customer,
  'PUT /customers/:id': Customer,
  'DELETE /customers/:id': Customer,
  'POST /customers/:id/freeze': Customer,
  'POST /customers/:id/recover': Customer,
  'GET /customer': OwnCustomer,
  'PUT /customer': OwnCustomer,
  'PUT /customer/metadata': OwnCustomer,
};
