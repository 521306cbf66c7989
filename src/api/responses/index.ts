import type { TSchema } from 'typebox';
import { accesskeyResponses } from './accesskeys.ts';
import { activeflowResponses } from './activeflows.ts';
import { callResponses } from './calls.ts';
import { ErrorEnvelope } from './common.ts';
import { conferencecallResponses } from './conferencecalls.ts';
import { conferenceResponses } from './conferences.ts';
import { customerResponses } from './customers.ts';
import { extensionResponses } from './extensions.ts';
import { externalMediaResponses } from './external-media.ts';
import { flowResponses } from './flows.ts';
import { groupcallResponses } from './groupcalls.ts';
import { numberResponses } from './numbers.ts';
import { providerResponses } from './providers.ts';
import { recordingResponses } from './recordings.ts';
import type { ResponseMap, StatusAnswers } from './response-map.ts';
import { routeResponses } from './routes.ts';
import { simulationResponses } from './simulations.ts';
import { transferResponses } from './transfers.ts';
import { ttsResponses } from './tts.ts';
import { userResponses } from './users.ts';
import { webhookDeliveryResponses } from './webhook-deliveries.ts';
import { timelineResponses } from './timeline.ts';

export type { ResponseMap, StatusAnswers } from './response-map.ts';
export { ErrorEnvelope } from './common.ts';

/** Every operation's answers by `METHOD path` below the API prefix (docs/api.md "Response schemas"). */
export const RESPONSES: ResponseMap = {
  ...customerResponses,
  ...accesskeyResponses,
  ...userResponses,
  ...flowResponses,
  ...activeflowResponses,
  ...numberResponses,
  ...extensionResponses,
  ...providerResponses,
  ...routeResponses,
  ...ttsResponses,
  ...webhookDeliveryResponses,
  ...callResponses,
  ...externalMediaResponses,
  ...groupcallResponses,
  ...transferResponses,
  ...recordingResponses,
  ...conferenceResponses,
  ...conferencecallResponses,
  ...simulationResponses,
  ...timelineResponses,
};

/** Resources served by the telephony stack: 503 on a server without it, or over capacity. */
const LIVE_PATHS = [
  '/calls',
  '/groupcalls',
  '/transfers',
  '/conferences',
  '/conferencecalls',
  '/activeflows',
  '/recordings',
  '/recordingfiles',
];
/** Reads that answer 409 for a resource in the wrong state. */
const STATEFUL_READS = ['GET /recordingfiles/:id', 'GET /calls/:id/media_stream'];

function under(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(`${root}/`));
}

/**
 * The error statuses an operation can answer, each with the error envelope: any request may be
 * malformed (400), unauthenticated (401), refused (403: a frozen customer, an admin-only resource),
 * rate limited (429) or meet a fault (500); more by what it reaches (docs/errors.md).
 */
export function errorStatusesOf(method: string, path: string): number[] {
  const statuses = new Set([400, 401, 403, 429, 500]);
  if (path.includes(':id')) statuses.add(404);
  // POSTs reserve an Idempotency-Key; writes meet uniqueness and state rules.
  if (method !== 'GET' || STATEFUL_READS.includes(`${method} ${path}`)) statuses.add(409);
  if (path.startsWith('/conferences/:id/recording_')) statuses.add(501);
  if (under(path, LIVE_PATHS)) statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

function isStatusAnswers(value: TSchema | StatusAnswers): value is StatusAnswers {
  return 'responses' in value && typeof (value as StatusAnswers).responses === 'object';
}

/** The error envelope of each error status of an operation. */
export function errorResponsesOf(method: string, path: string): Record<string, unknown> {
  return Object.fromEntries(errorStatusesOf(method, path).map((s) => [s, ErrorEnvelope]));
}

/** The `schema.response` of one operation, or undefined when none is known. */
export function responseSchemaOf(method: string, path: string): Record<string, unknown> | undefined {
  const answer = RESPONSES[`${method} ${path}`];
  if (answer === undefined) return undefined;
  const ok = isStatusAnswers(answer) ? answer.responses : { 200: answer };
  return { ...errorResponsesOf(method, path), ...ok };
}
