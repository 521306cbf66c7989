import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { User } from '../../store/index.ts';
import { actingCustomer } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { hashPassword, signJwt } from '../credentials.ts';
import { checkLogin, type LoginRequest } from '../login.ts';
import { Detail, LoginPassword, Name, Uuid } from '../schemas.ts';
import { registerCrud } from './crud.ts';

const Username = Type.String({
  pattern: '^[A-Za-z0-9._@-]{3,64}$',
  'x-reason': 'INVALID_USERNAME',
  'x-message': 'must be 3 to 64 letters, digits or . _ @ -',
});
const UserBody = Type.Object(
  { username: Username, password: LoginPassword, name: Type.Optional(Name), detail: Type.Optional(Detail) },
  { additionalProperties: false },
);
const UserUpdate = Type.Object(
  { password: Type.Optional(LoginPassword), name: Type.Optional(Name), detail: Type.Optional(Detail) },
  { additionalProperties: false },
);
const LoginBody = Type.Object(
  {
    username: Type.String({ maxLength: 64 }),
    password: Type.String({ maxLength: 128 }),
    /** Only needed when users of several customers share the username. */
    customer_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

const JWT_LIFETIME_SEC = 7 * 86400;

function publicUser(u: User) {
  const { password_hash: _p, password_version: _v, acting_customer_id: _a, tm_delete, ...rest } = u;
  return { ...rest, ...(tm_delete ? { tm_delete } : {}) };
}

/**
 * `/users` of the caller's customer and `POST /auth/login` → JWT (HS256, 7 days, revoked by a
 * password change). The project admin's own user is outside every customer's scope, so it is not
 * among any caller's users.
 */
export function userRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCrud<User>(app, ctx, {
    path: '/users',
    name: 'user',
    tag: 'users',
    repo: ctx.store.users,
    createBody: UserBody,
    updateBody: UserUpdate,
    toPublic: publicUser,
    create: async (b, p) => ({
      customer_id: p.customerId,
      username: b.username as string,
      password_hash: await hashPassword(b.password as string),
      name: (b.name as string | undefined) ?? '',
      detail: (b.detail as string | undefined) ?? '',
      // Users made through the API act for a customer; the project admin's user is made at first start.
      role: 'customer',
      password_version: 0,
    }),
    update: async (b, current) => ({
      ...(b.name !== undefined ? { name: b.name as string } : {}),
      ...(b.detail !== undefined ? { detail: b.detail as string } : {}),
      ...(b.password !== undefined
        ? { password_hash: await hashPassword(b.password as string), password_version: current.password_version + 1 }
        : {}),
    }),
  });

  loginRoute(app, ctx);
}

/**
 * The `token` cookie of a login, as VoIPBIN sets it (`Path=/; HttpOnly`), valid as long as the
 * token; `SameSite=Strict` keeps other sites' pages from sending it, and `Secure` in production
 * keeps it off plain HTTP (docs/voipbin-compatibility.md "Login").
 */
export function loginCookie(token: string, mode: ApiContext['mode']): string {
  const secure = mode === 'production' ? '; Secure' : '';
  return `token=${token}; Path=/; Max-Age=${JWT_LIFETIME_SEC}; HttpOnly; SameSite=Strict${secure}`;
}

/**
 * `POST /auth/login` → JWT in the body and the `token` cookie. Registered under each API prefix by
 * `userRoutes`, and at the root, where VoIPBIN serves it, by whoever registers the server's root
 * routes; one limiter (the server's) counts the failures of all of them.
 */
export function loginRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/auth/login', { schema: { tags: ['users'], body: LoginBody } }, async (req, reply) => {
    const user = await checkLogin(ctx, req, req.body as LoginRequest);
    const iat = Math.floor(ctx.clock.now() / 1000);
    const claims = {
      sub: user.id,
      cid: actingCustomer(user),
      role: user.role,
      iat,
      exp: iat + JWT_LIFETIME_SEC,
      pwv: user.password_version,
    };
    const token = signJwt(claims, ctx.jwtSecret);
    reply.header('set-cookie', loginCookie(token, ctx.mode));
    return { username: user.username, token, tm_expire: new Date((iat + JWT_LIFETIME_SEC) * 1000).toISOString() };
  });
}
