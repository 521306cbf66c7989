import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { accesskeyRoutes } from './accesskeys.ts';
import { activeflowRoutes } from './activeflows.ts';
import { callRoutes } from './calls.ts';
import { conferencecallRoutes } from './conferencecalls.ts';
import { conferenceRoutes } from './conferences.ts';
import { directHashRoutes } from './direct-hashes.ts';
import { customerRoutes } from './customers.ts';
import { eventStreamRoutes } from './events-ws.ts';
import { extensionRoutes } from './extensions.ts';
import { externalMediaRoutes } from './external-media.ts';
import { flowRoutes } from './flows.ts';
import { groupcallRoutes } from './groupcalls.ts';
import { mediaStreamRoutes } from './media-stream-ws.ts';
import { numberRoutes } from './numbers.ts';
import { providerRoutes } from './providers.ts';
import { recordingRoutes } from './recordings.ts';
import { routeRoutes } from './routes.ts';
import { transferRoutes } from './transfers.ts';
import { ttsRoutes } from './tts.ts';
import { userRoutes } from './users.ts';
import { webhookDeliveryRoutes } from './webhook-deliveries.ts';

/** Every resource's routes, registered once per API prefix. */
export function resourceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  customerRoutes(app, ctx);
  accesskeyRoutes(app, ctx);
  userRoutes(app, ctx);
  flowRoutes(app, ctx);
  activeflowRoutes(app, ctx);
  numberRoutes(app, ctx);
  extensionRoutes(app, ctx);
  providerRoutes(app, ctx);
  routeRoutes(app, ctx);
  ttsRoutes(app, ctx);
  webhookDeliveryRoutes(app, ctx);
  eventStreamRoutes(app, ctx);
  callRoutes(app, ctx);
  externalMediaRoutes(app, ctx);
  mediaStreamRoutes(app, ctx);
  transferRoutes(app, ctx);
  groupcallRoutes(app, ctx);
  recordingRoutes(app, ctx);
  conferenceRoutes(app, ctx);
  conferencecallRoutes(app, ctx);
  directHashRoutes(app, ctx);
}
