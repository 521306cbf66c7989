import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Recording } from '../../recordings/index.ts';
import { NIL_UUID } from '../../shared/index.ts';
import type { RecordingListOptions, Scope } from '../../store/index.ts';
import { principalOf } from '../context.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { CredentialQuery, pageQueryWith, pageSizeOf } from '../pagination.ts';
import { IdParams } from './crud.ts';
import { bodyBytes, downloadBody, parseRange, readAhead } from './recordings-download.ts';
import type { RecordingsApiDeps } from './recordings-deps.ts';

const FILTERS = ['reference_id'] as const;
const tags = ['recordings'];

function depsOf(ctx: ApiContext): RecordingsApiDeps {
  if (ctx.recordings === undefined)
    throw new ApiError('RECORDINGS_UNAVAILABLE', 'recordings are not available on this server');
  return ctx.recordings;
}

function idOf(req: FastifyRequest): string {
  return (req as FastifyRequest<{ Params: { id: string } }>).params.id;
}

function listOptions(customerId: string, q: Record<string, string | number | undefined>): RecordingListOptions {
  const filter: Record<string, string> = {};
  for (const f of FILTERS) if (typeof q[f] === 'string') filter[f] = q[f] as string;
  return {
    customerId,
    pageSize: pageSizeOf(q),
    ...(typeof q.page_token === 'string' && q.page_token !== '' ? { pageToken: q.page_token } : {}),
    filter,
  };
}

async function load(deps: RecordingsApiDeps, id: string, scope: Scope): Promise<Recording> {
  const recording = await deps.service.get(id, scope);
  if (recording === undefined) throw notFound('recording', id);
  return publicRecording(recording);
}

/** A recording with `activeflow_id` always present: the nil UUID on rows stored before it was kept. */
export function publicRecording(recording: Recording): Recording & { activeflow_id: string } {
  return { ...recording, activeflow_id: recording.activeflow_id ?? NIL_UUID };
}

/** Sends the recording's audio, whole (200) or one byte range (206), or 416 for a range it cannot serve. */
async function sendFiles(
  deps: RecordingsApiDeps,
  recording: Recording,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (recording.status !== 'ended') {
    throw new ApiError(
      'RECORDING_NOT_ENDED',
      `recording ${recording.id} is ${recording.status}; its files are ready once it has ended`,
    );
  }
  if (recording.files.length === 0) throw notFound('recording_file', recording.id);
  const read = deps.service.read.bind(deps.service);
  const body = await downloadBody(recording, read);
  const asked = parseRange(req.headers.range, body.size);
  const range = asked === 'unsatisfiable' ? undefined : (asked ?? { start: 0, end: body.size - 1 });
  const length = range === undefined || body.size === 0 ? 0 : range.end - range.start + 1;
  // Read before any header is set: a file that cannot be read now is an error answer of its own.
  const bytes = range === undefined || length === 0 ? undefined : await readAhead(bodyBytes(body, read, range));
  reply.header('accept-ranges', 'bytes').header('content-disposition', `attachment; filename="${body.filename}"`);
  if (range === undefined) {
    return reply
      .code(416)
      .header('content-range', `bytes */${body.size}`)
      .type('text/plain')
      .send('range not satisfiable');
  }
  if (asked) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${body.size}`);
  reply.header('content-length', String(length)).type(body.contentType);
  return reply.send(bytes === undefined ? '' : Readable.from(bytes));
}

/** `GET /recordings`, `GET/DELETE /recordings/{id}` and `GET /recordingfiles/{id}`, scoped to the caller's customer. */
export function recordingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/recordings', { schema: { tags, querystring: pageQueryWith([...FILTERS]) } }, async (req) => {
    const q = req.query as Record<string, string | number | undefined>;
    const page = await depsOf(ctx).records.list(listOptions(principalOf(req).customerId, q));
    return { result: page.items.map(publicRecording), next_page_token: page.nextPageToken };
  });

  app.get('/recordings/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    return load(depsOf(ctx), idOf(req), { customerId: principalOf(req).customerId });
  });

  app.delete('/recordings/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const deps = depsOf(ctx);
    const scope = { customerId: principalOf(req).customerId };
    await load(deps, idOf(req), scope);
    return publicRecording(await deps.service.delete(idOf(req), scope));
  });

  app.get(
    '/recordingfiles/:id',
    { schema: { tags, params: IdParams, querystring: CredentialQuery } },
    async (req, reply) => {
      const deps = depsOf(ctx);
      const recording = await load(deps, idOf(req), { customerId: principalOf(req).customerId });
      return sendFiles(deps, recording, req, reply);
    },
  );
}
