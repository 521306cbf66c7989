import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { TRANSFER_TYPES } from '../../calls/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { CredentialQuery } from '../pagination.ts';
import { Uuid } from '../schemas.ts';
import { AddressBody, emptyBodyAsObject } from './call-bodies.ts';
import { callsOf } from './calls.ts';
import type { TransferCommands } from './calls-deps.ts';
import { IdParams } from './crud.ts';

/** `POST /transfers` (docs/calls.md "Transfer"); the calls domain checks the transferee against its type. */
export const CreateTransferBody = Type.Object(
  { type: Type.Enum(TRANSFER_TYPES), transferer_call_id: Uuid, transferee: AddressBody },
  { additionalProperties: false },
);

const NoBody = Type.Object({}, { additionalProperties: false });

const tags = ['transfers'];

function transfersOf(ctx: ApiContext): TransferCommands {
  return callsOf(ctx).service.transfers;
}

/**
 * `/transfers`: start a blind or attended transfer of the caller's own call, read it, and complete
 * or cancel it. Transfers are customer-scoped (another customer's transfer is 404) and live on the
 * node that runs their calls.
 */
export function transferRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/transfers', { schema: { tags, body: CreateTransferBody, querystring: CredentialQuery } }, async (req) => {
    const body = req.body as Static<typeof CreateTransferBody>;
    return transfersOf(ctx).create({ ...body, customer_id: principalOf(req).customerId });
  });

  app.get('/transfers/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const { id } = req.params as { id: string };
    const transfer = await transfersOf(ctx).get(id, principalOf(req).customerId);
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
        if (!(await transfers.get(id, customerId))) throw notFound('transfer', id);
        return action === 'complete' ? transfers.complete(id, customerId) : transfers.cancel(id, customerId);
      },
    );
  }
}
