export type { Bus, BusErrorCode } from './bus.ts';
export { BusError } from './bus.ts';
export { InProcessBroker, InProcessBus, type InProcessBusOptions } from './in-process-bus.ts';
export { NatsBus, connectNatsBus, type NatsBusOptions } from './nats-bus.ts';
export {
  ALL_EVENTS,
  CUSTOMER_DELETED,
  eventsSubject,
  nodeCommandSubject,
  nodePingSubject,
  nodeSubjectToken,
} from './subjects.ts';
