export { startSipServer } from './sip-server.ts';
export type { SipServer, SipServerOptions } from './sip-server.ts';
export { StoreRegistrarBackend } from './store-registrar-backend.ts';
export { BindingPurge } from './binding-purge.ts';
export type { BindingPurgeOptions } from './binding-purge.ts';
export { sipMetricsText, flattenSipStats } from './sip-metrics.ts';
export type { SipServerStats } from './sip-metrics.ts';
