export type { Bus, BusErrorCode } from './bus.ts';
export { BusError } from './bus.ts';
