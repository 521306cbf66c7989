import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { User } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { hashPassword, signJwt, verifyPassword } from '../credentials.ts';
import { ApiError } from '../errors.ts';
import { Detail, LoginPassword, Name } from '../schemas.ts';
import { registerCrud } from './crud.ts';

const Username = Type.String({
  pattern: '^[A-Za-z0-9._@-]{3,64}$',
  'x-reason': 'INVALID_USERNAME',
  'x-message': 'must be 3 to 64 letters, digits or . _ @ -',
});
const UserBody = Type.Object({ username: Username, password: LoginPassword, name: Type.Optional(Name), detail: Type.Optional(Detail) }, { additionalProperties: false });
const UserUpdate = Type.Object({ password: Type.Optional(LoginPassword), name: Type.Optional(Name), detail: Type.Optional(Detail) }, { additionalProperties: false });
const LoginBody = Type.Object({ username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 128 }) }, { additionalProperties: false });

const JWT_LIFETIME_SEC = 7 * 86400;

function publicUser(u: User) {
  const { password_hash: _p, tm_delete, ...rest } = u;
  return { ...rest, ...(tm_delete ? { tm_delete } : {}) };
}

/** `/users` of the caller's customer and `POST /auth/login` → JWT (HS256, 7 days). */
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
      role: p.role,
    }),
    update: async (b) => ({
      ...(b.name !== undefined ? { name: b.name as string } : {}),
      ...(b.detail !== undefined ? { detail: b.detail as string } : {}),
      ...(b.password !== undefined ? { password_hash: await hashPassword(b.password as string) } : {}),
    }),
  });

  app.post('/auth/login', { schema: { tags: ['users'], body: LoginBody } }, async (req) => {
    const { username, password } = req.body as { username: string; password: string };
    const user = await ctx.store.users.findByUsername(username);
    const ok = user ? await verifyPassword(password, user.password_hash) : false;
    if (!user || !ok) throw new ApiError('UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'wrong username or password');
    const iat = Math.floor(ctx.clock.now() / 1000);
    const token = signJwt({ sub: user.id, cid: user.customer_id, role: user.role, iat, exp: iat + JWT_LIFETIME_SEC }, ctx.jwtSecret);
    return { username: user.username, token, tm_expire: new Date((iat + JWT_LIFETIME_SEC) * 1000).toISOString() };
  });
}
