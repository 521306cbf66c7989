import { Type } from 'typebox';
import { TRANSFER_STATUSES, TRANSFER_TYPES } from '../../calls/index.ts';
import { Address, Id, Time, obj, oneOf, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** A blind or attended transfer (docs/calls.md "Transfer"). */
export const Transfer = obj(
  {
    id: Id,
    customer_id: Id,
    type: oneOf(TRANSFER_TYPES),
    status: oneOf(TRANSFER_STATUSES),
    transferer_call_id: Id,
    transferred_call_id: Id,
    transferee: Address,
    transferee_call_id: Id,
    transferee_addresses: Type.Array(Address),
    groupcall_id: Id,
    confbridge_id: Id,
    tm_create: Time,
    tm_update: Time,
    tm_ringing: opt(Time),
    tm_answered: opt(Time),
    tm_end: opt(Time),
  },
  'a transfer',
);

/** `/transfers`. */
export const transferResponses: ResponseMap = {
  'POST /transfers': Transfer,
  'GET /transfers/:id': Transfer,
  'POST /transfers/:id/complete': Transfer,
  'POST /transfers/:id/cancel': Transfer,
};
