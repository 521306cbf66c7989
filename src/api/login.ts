import type { FastifyRequest } from 'fastify';
import type { User } from '../store/index.ts';
import { tooManyFailures } from './auth.ts';
import type { ApiContext } from './context.ts';
import { verifyAgainstDummy, verifyPassword } from './credentials.ts';
import { ApiError } from './errors.ts';
import { sourceOf } from './source.ts';

/**
 * Usernames are unique per customer, so one username may name users of several customers; a login
 * without `customer_id` tries the password against at most this many of them, oldest first.
 */
export const MAX_LOGIN_CANDIDATES = 4;

/** What `POST /auth/login` takes. */
export interface LoginRequest {
  username: string;
  password: string;
  /** Picks the customer whose user this is when the username is shared (the nil UUID: the project admin). */
  customer_id?: string;
}

/**
 * The user a username and password name, or 401. Throttled per source and per username: every
 * attempt counts as a failure up front (so concurrent guesses cannot all pass the limit) and is
 * forgiven when it succeeds. An unknown username costs the same scrypt as a known one.
 */
export async function checkLogin(ctx: ApiContext, req: FastifyRequest, body: LoginRequest): Promise<User> {
  const source = sourceOf(req);
  const { sourceFailures, usernameFailures } = ctx.auth;
  const wait = Math.max(sourceFailures.blockedFor(source), usernameFailures.blockedFor(body.username));
  if (wait > 0) throw tooManyFailures(wait);
  sourceFailures.fail(source);
  usernameFailures.fail(body.username);

  const candidates =
    body.customer_id !== undefined
      ? [await ctx.store.users.findByUsername(body.customer_id, body.username)].filter(
          (u): u is User => u !== undefined,
        )
      : await ctx.store.users.listByUsername(body.username, MAX_LOGIN_CANDIDATES);
  if (candidates.length === 0) await verifyAgainstDummy(body.password);
  for (const user of candidates) {
    if (await verifyPassword(body.password, user.password_hash)) {
      sourceFailures.forgive(source);
      usernameFailures.forgive(body.username);
      return user;
    }
  }
  throw new ApiError('INVALID_CREDENTIALS', 'wrong username or password');
}
