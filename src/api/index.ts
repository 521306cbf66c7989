export { buildServer, DEFAULT_HTTP_LIMITS, type HttpLimits } from './server.ts';
export { redactingLoggerOptions, redactLogFields, redactText } from './log-redaction.ts';
export type { ApiDeps } from './context.ts';
export { hashToken, newAccessKeyToken, hashPassword } from './credentials.ts';
export { newWebhookSecret } from './routes/customers.ts';
export { ensureProjectAdmin, type ProjectAdmin } from './bootstrap.ts';
