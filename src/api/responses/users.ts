import { Type } from 'typebox';
import { Id, StoredTimes, Time, listOf, obj, oneOf } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** A login of a customer; the password is write-only. */
export const User = obj(
  {
    id: Id,
    customer_id: Id,
    username: Type.String(),
    name: Type.String(),
    detail: Type.String(),
    role: oneOf(['admin', 'customer']),
    ...StoredTimes,
  },
  'a user',
);

/** The answer of `POST /auth/login`; the token is also set as the `token` cookie. */
export const Login = obj(
  { username: Type.String(), token: Type.String({ description: 'a JWT' }), tm_expire: Time },
  'a login token',
);

/** `/users` and `/auth/login`. */
export const userResponses: ResponseMap = {
  'POST /users': User,
  'GET /users': listOf(User, 'a page of users'),
  'GET /users/:id': User,
  'PUT /users/:id': User,
  'DELETE /users/:id': User,
  'POST /auth/login': Login,
};
