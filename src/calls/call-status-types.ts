/** Every status of a call, in lifecycle order. */
export const CALL_STATUSES = ['dialing', 'ringing', 'progressing', 'terminating', 'canceling', 'hangup'] as const;

/** Where a call is in its lifecycle (docs/calls.md "Status machine"). */
export type CallStatus = (typeof CALL_STATUSES)[number];
