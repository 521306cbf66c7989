import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { TRANSFER_TYPES } from '../../calls/index.ts';
import type { Transfer, TransferRequest } from '../../calls/index.ts';
import { InvalidStateError, ValidationError } from '../../shared/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { CredentialQuery } from '../pagination.ts';
import { Uuid } from '../schemas.ts';
import { AddressBody, emptyBodyAsObject } from './call-bodies.ts';
import { callsOf } from './calls.ts';
import type { TransferCommands } from './calls-deps.ts';
import { IdParams } from './crud.ts';

/** The most addresses VoIPBIN's form may list (one is dialled; more is refused with a clear reason). */
const MAX_TRANSFEREE_ADDRESSES = 100;

/**
 * `POST /transfers` (docs/calls.md "Transfer"), in callbin's form `{type, transferer_call_id, transferee}`
 * or VoIPBIN's `{transfer_type, transferer_call_id, transferee_addresses}` (docs/voipbin-compatibility.md);
 * the calls domain checks the transferee against its type.
 */
export const CreateTransferBody = Type.Object(
  {
    type: Type.Optional(Type.Enum(TRANSFER_TYPES)),
    transfer_type: Type.Optional(Type.Enum(TRANSFER_TYPES)),
    transferer_call_id: Uuid,
    transferee: Type.Optional(AddressBody),
    transferee_addresses: Type.Optional(Type.Array(AddressBody, { minItems: 1, maxItems: MAX_TRANSFEREE_ADDRESSES })),
  },
  { additionalProperties: false },
);

/** The request the calls domain takes, from either form of the body; 400 on a missing, doubled or second transferee. */
export function transferRequestOf(body: Static<typeof CreateTransferBody>, customerId: string): TransferRequest {
  const type = oneOf(body, 'type', 'transfer_type');
  const addresses = oneOf(body, 'transferee', 'transferee_addresses');
  const transferee = Array.isArray(addresses) ? addresses[0] : addresses;
  if (Array.isArray(addresses) && addresses.length > 1) {
    // VoIPBIN rings every address at once; callbin's transfer dials one call (docs/calls.md "Transfer").
    throw ValidationError.field(
      'transferee_addresses',
      'TOO_MANY_ITEMS',
      `a transfer dials one transferee: give one address, not ${addresses.length}`,
    );
  }
  return { customer_id: customerId, type, transferer_call_id: body.transferer_call_id, transferee };
}

/** The value of exactly one of two fields that mean the same thing (callbin's name and VoIPBIN's). */
function oneOf<B extends Record<string, unknown>, K1 extends keyof B & string, K2 extends keyof B & string>(
  body: B,
  own: K1,
  voipbin: K2,
): NonNullable<B[K1] | B[K2]> {
  const a = body[own];
  const b = body[voipbin];
  if (a !== undefined && b !== undefined)
    throw ValidationError.field(voipbin, 'INVALID_ARGUMENT', `give ${own} or ${voipbin}, not both`);
  const value = a ?? b;
  if (value === undefined || value === null)
    throw ValidationError.field(own, 'MISSING_FIELD', `is required (or VoIPBIN's ${voipbin})`);
  return value as NonNullable<B[K1] | B[K2]>;
}

/** A validation error about `transferee` names VoIPBIN's `transferee_addresses[0]` when that form was sent. */
function asVoipbinFields(err: unknown): unknown {
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(
    err.details.map((d) => ({ ...d, field: d.field.replace(/^transferee(?=\.|$)/, 'transferee_addresses[0]') })),
    err.code,
  );
}

const NoBody = Type.Object({}, { additionalProperties: false });

const tags = ['transfers'];

function transfersOf(ctx: ApiContext): TransferCommands {
  return callsOf(ctx).service.transfers;
}

/** The `transfers` table (migration 0018) as this route reads it: the transfer as JSON in `data`. */
type StoredTransfers = { transfers: { id: string; customer_id: string; data: string } };

/**
 * The customer's transfer as it was last stored, for one no process runs any more (ended, or left by
 * a process that stopped: docs/calls.md "Transfer"); undefined when there is none.
 */
async function storedTransfer(ctx: ApiContext, id: string, customerId: string): Promise<Transfer | undefined> {
  const row = await ctx.store.db
    .withTables<StoredTransfers>()
    .selectFrom('transfers')
    .select('data')
    .where('id', '=', id)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  if (!row) return undefined;
  try {
    return JSON.parse(row.data) as Transfer;
  } catch {
    return undefined;
  }
}

/** The transfer as it is now: live on its node, otherwise as stored. */
async function findTransfer(ctx: ApiContext, id: string, customerId: string): Promise<Transfer | undefined> {
  return (await transfersOf(ctx).get(id, customerId)) ?? (await storedTransfer(ctx, id, customerId));
}

/**
 * `/transfers`: start a blind or attended transfer of the caller's own call, read it, and complete
 * or cancel it. Transfers are customer-scoped (another customer's transfer is 404) and live on the
 * node that runs their calls.
 */
export function transferRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/transfers', { schema: { tags, body: CreateTransferBody, querystring: CredentialQuery } }, async (req) => {
    const body = req.body as Static<typeof CreateTransferBody>;
    const request = transferRequestOf(body, principalOf(req).customerId);
    try {
      return await transfersOf(ctx).create(request);
    } catch (err) {
      throw body.transferee_addresses ? asVoipbinFields(err) : err;
    }
  });

  app.get('/transfers/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const { id } = req.params as { id: string };
    const transfer = await findTransfer(ctx, id, principalOf(req).customerId);
    if (!transfer) throw notFound('transfer', id);
    return transfer;
  });

  for (const action of ['complete', 'cancel'] as const) {
    app.post(
      `/transfers/:id/${action}`,
      {
        schema: { tags, params: IdParams, querystring: CredentialQuery, body: NoBody },
        preValidation: emptyBodyAsObject,
      },
      async (req) => {
        const { id } = req.params as { id: string };
        const customerId = principalOf(req).customerId;
        const transfers = transfersOf(ctx);
        if (!(await transfers.get(id, customerId))) {
          const stored = await storedTransfer(ctx, id, customerId);
          if (!stored) throw notFound('transfer', id);
          // No process runs it: it ended (a stopped process's transfers end at the next start).
          throw new InvalidStateError(
            `${action} needs a running transfer; transfer ${id} is ${stored.status}`,
            'TRANSFER_STATE_INVALID',
          );
        }
        return action === 'complete' ? transfers.complete(id, customerId) : transfers.cancel(id, customerId);
      },
    );
  }
}
