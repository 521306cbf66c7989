export * from './telephone-event.ts';
export * from './dtmf-receiver.ts';
export * from './dtmf-sender.ts';
export * from './dtmf-relay-info.ts';
