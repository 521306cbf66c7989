export { buildServer } from './server.ts';
export type { ApiDeps } from './context.ts';
export { hashToken, newAccessKeyToken, hashPassword } from './credentials.ts';
export { newWebhookSecret } from './routes/customers.ts';
export { ensureProjectAdmin, type ProjectAdmin } from './bootstrap.ts';
