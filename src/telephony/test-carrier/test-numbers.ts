// The test numbers as data (docs/testing-your-flows.md "Test numbers"): what the built-in carrier
// does with a call to each one.

/** Every test number starts with this: `+1500555` and four digits. */
export const TEST_NUMBER_PREFIX = '+1500555';

const TEST_NUMBER_RE = /^\+1500555\d{4}$/;

/** What the carrier does with a call to one test number. */
export type TestNumberBehaviour =
  /** 180, 200, speaks {@link SPOKEN_SENTENCE}, then sends BYE. */
  | 'speak'
  /** 180, 200, sends DTMF `1` (RFC 4733) {@link DTMF_AFTER_MS} after the ACK, then waits for the caller's BYE. */
  | 'dtmf'
  /** 486 Busy Here. */
  | 'busy'
  /** 180 and never answers: the caller's dial timeout ends the call `noanswer`. */
  | 'ring'
  /** 503 Service Unavailable: the call fails over to the customer's next route, else ends `failed`. */
  | 'unavailable'
  /** 180, then 200 after {@link LATE_ANSWER_MS}; then waits for the caller's BYE. */
  | 'late-answer'
  /** 180, 200, a long recorded greeting ({@link MACHINE_GREETING}) and a beep; then waits for the caller's BYE. */
  | 'machine'
  /** 180, 200, sends back what it hears until the caller's BYE. */
  | 'echo';

/** One row of the table. */
export interface TestNumber {
  number: string;
  behaviour: TestNumberBehaviour;
  /** True when the customer's own routes are tried after the carrier (only the failing number). */
  thenCustomerRoutes: boolean;
}

/** The assigned test numbers; any other `+1500555xxxx` number is answered 404 (not assigned). */
export const TEST_NUMBERS: readonly TestNumber[] = [
  { number: '+15005550001', behaviour: 'speak', thenCustomerRoutes: false },
  { number: '+15005550002', behaviour: 'dtmf', thenCustomerRoutes: false },
  { number: '+15005550003', behaviour: 'busy', thenCustomerRoutes: false },
  { number: '+15005550004', behaviour: 'ring', thenCustomerRoutes: false },
  { number: '+15005550005', behaviour: 'unavailable', thenCustomerRoutes: true },
  { number: '+15005550006', behaviour: 'late-answer', thenCustomerRoutes: false },
  { number: '+15005550007', behaviour: 'machine', thenCustomerRoutes: false },
  { number: '+15005550008', behaviour: 'echo', thenCustomerRoutes: false },
];

/** What `+15005550001` says. */
export const SPOKEN_SENTENCE = 'Hello from the callbin test carrier. Your call works. Goodbye.';

/** The greeting of `+15005550007`: one long utterance, as a voicemail greeting is. */
export const MACHINE_GREETING =
  'Hello you have reached the voicemail of the callbin test carrier nobody can take your call right now please leave a message after the tone';

/** `+15005550002` sends its digit this long after the call is answered. */
export const DTMF_AFTER_MS = 1000;

/** `+15005550006` rings this long before it answers. */
export const LATE_ANSWER_MS = 10_000;

/** Silence before `+15005550001` speaks, so the caller's flow is listening. */
export const SPEAK_LEAD_MS = 500;

/** Longest a carrier call lasts, ringing or answered; then it ends (480 or BYE). */
export const CARRIER_MAX_CALL_MS = 60 * 60 * 1000;

/** Calls the carrier carries at once; more are answered 503. */
export const CARRIER_MAX_CALLS = 100;

/** True when `number` is a test number (`+1500555` and four digits), assigned or not. */
export function isTestNumber(number: string): boolean {
  return TEST_NUMBER_RE.test(number);
}

/** The row of an assigned test number; undefined for any other number. */
export function testNumber(number: string): TestNumber | undefined {
  return TEST_NUMBERS.find((t) => t.number === number);
}
