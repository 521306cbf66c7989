export * from './message/index.ts';
export * from './auth/index.ts';
export * from './transport/index.ts';
export * from './transaction/index.ts';
