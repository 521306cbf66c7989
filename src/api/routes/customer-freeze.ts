import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidStateError, isoNow } from '../../shared/index.ts';
import type { Customer } from '../../store/index.ts';
import { requireAdmin } from '../auth.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { CredentialQuery } from '../pagination.ts';
import { IdParams } from './crud.ts';

/** Both routes answer the customer as the admin sees it (`src/api/responses/customers.ts`, attached by the response-schemas plugin). */
const schema = (summary: string) => ({
  tags: ['customers'],
  summary,
  params: IdParams,
  querystring: CredentialQuery,
});

/** Whether a customer is frozen (docs/api.md "Freezing a customer"). */
export function isFrozen(customer: Pick<Customer, 'status'>): boolean {
  return customer.status === 'frozen';
}

/**
 * `POST /customers/{id}/freeze` and `/recover` (project admin; docs/api.md "Freezing a customer"):
 * freezing stores `frozen` with the time and ends the customer's live calls and activeflows as a
 * deletion does; its credentials get 403 `CUSTOMER_FROZEN` and its numbers and extensions refuse
 * new calls until it is recovered. Nothing it owns is deleted, so recovering restores all of it.
 */
export function customerFreezeRoutes(
  app: FastifyInstance,
  ctx: ApiContext,
  present: (c: Customer) => Record<string, unknown>,
): void {
  const load = async (req: FastifyRequest): Promise<Customer> => {
    requireAdmin(principalOf(req));
    const { id } = req.params as { id: string };
    const customer = await ctx.store.customers.get(id);
    if (!customer) throw notFound('customer', id);
    return customer;
  };

  app.post('/customers/:id/freeze', { schema: schema('Freeze a customer') }, async (req) => {
    const customer = await load(req);
    // A second freeze answers the frozen customer as it is, as VoIPBIN does.
    if (isFrozen(customer)) return present(customer);
    const frozen = await ctx.store.customers.update(customer.id, {
      status: 'frozen',
      tm_deletion_scheduled: isoNow(ctx.clock),
    });
    if (!frozen) throw notFound('customer', customer.id);
    // Cached credential lookups would admit the customer's keys for a few more seconds.
    ctx.auth.forgetAll();
    // What ending a deleted customer's telephony does, on every node: its calls and activeflows end.
    ctx.onCustomerDeleted?.(customer.id);
    return present(frozen);
  });

  app.post('/customers/:id/recover', { schema: schema('Recover a frozen customer') }, async (req) => {
    const customer = await load(req);
    if (!isFrozen(customer))
      throw new InvalidStateError(`customer ${customer.id} is not frozen`, 'CUSTOMER_NOT_FROZEN');
    const recovered = await ctx.store.customers.update(customer.id, { status: 'active', tm_deletion_scheduled: '' });
    if (!recovered) throw notFound('customer', customer.id);
    ctx.auth.forgetAll();
    return present(recovered);
  });
}
