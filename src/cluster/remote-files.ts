import { BusError, nodeSubjectToken, type Bus } from '../bus/index.ts';
import { recordingIdOfFilename, type ByteRange, type RecordingFileStore } from '../recordings/index.ts';
import {
  AppError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  silentLogger,
  type Logger,
} from '../shared/index.ts';

/*
 * Recording files of any node (docs/cluster.md "Files"): a file on this node's disk is read here;
 * another node's file is read from that node over the bus, one request per chunk, each with its
 * own deadline. The node that wrote a recording is the `node_id` of its row.
 */

/** The largest chunk one request carries: 256 KiB, about 342 KiB as base64, under NATS's 1 MiB payload. */
export const FILE_CHUNK_BYTES = 256 * 1024;

const DEFAULT_CHUNK_TIMEOUT_MS = 5_000;

// Where a file is when it is not on another node.
const HERE = Symbol('here');
const NOWHERE = Symbol('nowhere');

/** Recording files a node holds, chunk by chunk (request/reply): `callbin.node.<node>.file`. */
export function nodeFileSubject(nodeId: string): string {
  return `callbin.node.${nodeSubjectToken(nodeId)}.file`;
}

/** A request of the file protocol: a chunk (both ends inclusive), the size, or removal of one file. */
export type FileRequest =
  | { op: 'read'; name: string; start: number; end: number }
  | { op: 'stat'; name: string }
  | { op: 'remove'; name: string };

/** The answer: `size` is the file's whole size; `data` the chunk's bytes as base64 (`read`). */
export type FileReply =
  | { ok: true; size?: number; data?: string }
  | { ok: false; code: 'NOT_FOUND' | 'INVALID_REQUEST' | 'FAILED'; message: string };

/** What {@link RemoteFiles} is built from. */
export interface RemoteFilesOptions {
  bus: Bus;
  /** This node's id: its own files are read from `local`. */
  nodeId: string;
  /** This node's recording directory. */
  local: RecordingFileStore;
  /** The node that wrote recording `recordingId` (its row's `node_id`); '' or undefined when unknown. */
  ownerOf(recordingId: string): Promise<string | undefined>;
  /** The deadline of each chunk's request; default 5 s. */
  chunkTimeoutMs?: number;
  logger?: Logger;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The request in `data` when it is one this protocol knows, with a recording file name; else why not. */
function parseRequest(data: string): FileRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return 'the request is not JSON';
  }
  const req = value as Partial<Record<'op' | 'name' | 'start' | 'end', unknown>> | null;
  if (typeof req !== 'object' || req === null) return 'the request is not an object';
  // Only a recording file name is served, never a path (docs/security.md): the storage joins it to its directory.
  if (typeof req.name !== 'string' || recordingIdOfFilename(req.name) === undefined)
    return 'name is not a recording file name';
  if (req.op === 'stat' || req.op === 'remove') return { op: req.op, name: req.name };
  if (req.op !== 'read') return 'op is not read, stat or remove';
  if (!isCount(req.start) || !isCount(req.end) || req.end < req.start || req.end - req.start >= FILE_CHUNK_BYTES)
    return `start and end must be byte offsets of at most ${FILE_CHUNK_BYTES} bytes`;
  return { op: 'read', name: req.name, start: req.start, end: req.end };
}

/**
 * The {@link RecordingFileStore} of a cluster node: files of this node from its disk, files of
 * another node through that node's {@link RemoteFiles.serve}. The API checked the caller may see the
 * recording before anything reaches here; a node only serves names of its recording directory.
 */
export class RemoteFiles implements RecordingFileStore {
  readonly #bus: Bus;
  readonly #nodeId: string;
  readonly #local: RecordingFileStore;
  readonly #ownerOf: (recordingId: string) => Promise<string | undefined>;
  readonly #timeoutMs: number;
  readonly #logger: Logger;

  constructor(opts: RemoteFilesOptions) {
    this.#bus = opts.bus;
    this.#nodeId = opts.nodeId;
    this.#local = opts.local;
    this.#ownerOf = opts.ownerOf;
    this.#timeoutMs = opts.chunkTimeoutMs ?? DEFAULT_CHUNK_TIMEOUT_MS;
    this.#logger = (opts.logger ?? silentLogger).child({ module: 'remote-files' });
  }

  /** Serves this node's files to the other nodes on {@link nodeFileSubject}; returns the stop function. */
  serve(): () => void {
    return this.#bus.serve(nodeFileSubject(this.#nodeId), async (data) => JSON.stringify(await this.#answer(data)));
  }

  async stat(filename: string): Promise<number | undefined> {
    const owner = await this.#whereIs(filename);
    if (owner === HERE) return this.#local.stat(filename);
    if (owner === NOWHERE) return undefined;
    const reply = await this.#request(owner, { op: 'stat', name: filename });
    if (reply.ok) return reply.size;
    if (reply.code === 'NOT_FOUND') return undefined;
    throw this.#failure(reply, owner, filename);
  }

  async *read(filename: string, range?: ByteRange): AsyncIterable<Uint8Array> {
    const owner = await this.#whereIs(filename);
    if (owner === NOWHERE)
      throw new NotFoundError('RECORDING_FILE_NOT_FOUND', `recording file ${filename} is not on node ${this.#nodeId}`);
    if (owner === HERE) {
      yield* this.#local.read(filename, range);
      return;
    }
    let at = range?.start ?? 0;
    // The last byte wanted: the range's, or (without one) the file's, known from the first answer.
    let last = range?.end;
    while (last === undefined || at <= last) {
      const end = Math.min(at + FILE_CHUNK_BYTES - 1, last ?? Number.MAX_SAFE_INTEGER);
      const reply = await this.#request(owner, { op: 'read', name: filename, start: at, end });
      if (!reply.ok) throw this.#failure(reply, owner, filename);
      if (last === undefined) last = (reply.size ?? 0) - 1;
      const chunk = Buffer.from(reply.data ?? '', 'base64');
      // Past the end of the file: nothing more, as a local read of the same range ends there too.
      if (chunk.length === 0) return;
      yield chunk;
      at += chunk.length;
    }
  }

  async remove(filename: string): Promise<void> {
    const owner = await this.#whereIs(filename);
    if (owner === HERE) return this.#local.remove(filename);
    if (owner === NOWHERE) return;
    const reply = await this.#request(owner, { op: 'remove', name: filename });
    if (!reply.ok) throw this.#failure(reply, owner, filename);
  }

  /**
   * Where `filename` is: on this disk (this node's file, or a directory the nodes share: no bus),
   * on another node (its id), or nowhere (this node's or an unknown recording's file that is gone).
   */
  async #whereIs(filename: string): Promise<string | typeof HERE | typeof NOWHERE> {
    const recordingId = recordingIdOfFilename(filename);
    if (recordingId === undefined)
      throw ValidationError.field('filename', 'INVALID_FILENAME', `${filename} is not a recording file name`);
    if ((await this.#local.stat(filename)) !== undefined) return HERE;
    const owner = await this.#ownerOf(recordingId);
    return owner === undefined || owner === '' || owner === this.#nodeId ? NOWHERE : owner;
  }

  async #request(owner: string, request: FileRequest): Promise<FileReply> {
    let text: string;
    try {
      text = await this.#bus.request(nodeFileSubject(owner), JSON.stringify(request), this.#timeoutMs);
    } catch (err) {
      if (!(err instanceof BusError)) throw err;
      throw new UnavailableError(
        'NODE_UNAVAILABLE',
        `node ${owner}, which holds recording file ${request.name}, does not answer (${err.code})`,
        { cause: err },
      );
    }
    let reply: FileReply | undefined;
    try {
      reply = JSON.parse(text) as FileReply;
    } catch {
      reply = undefined;
    }
    if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean')
      throw new AppError('INTERNAL', `node ${owner} answered a file request with something else`);
    return reply;
  }

  #failure(reply: Extract<FileReply, { ok: false }>, owner: string, filename: string): AppError {
    if (reply.code === 'NOT_FOUND')
      return new NotFoundError('RECORDING_FILE_NOT_FOUND', `recording file ${filename} is not on node ${owner}`);
    return new AppError('INTERNAL', `node ${owner} refused a request for ${filename}: ${reply.message}`);
  }

  /** One request of another node, answered from this node's disk; every failure is an answer, never a throw. */
  async #answer(data: string): Promise<FileReply> {
    const req = parseRequest(data);
    if (typeof req === 'string') return { ok: false, code: 'INVALID_REQUEST', message: req };
    try {
      if (req.op === 'remove') {
        await this.#local.remove(req.name);
        return { ok: true };
      }
      const size = await this.#local.stat(req.name);
      if (size === undefined) return { ok: false, code: 'NOT_FOUND', message: `${req.name} is not here` };
      if (req.op === 'stat') return { ok: true, size };
      const chunks: Uint8Array[] = [];
      if (req.start < size) {
        for await (const chunk of this.#local.read(req.name, { start: req.start, end: Math.min(req.end, size - 1) }))
          chunks.push(chunk);
      }
      return { ok: true, size, data: Buffer.concat(chunks).toString('base64') };
    } catch (err) {
      this.#logger.warn({ err, filename: req.name, op: req.op }, 'file request of another node failed');
      return { ok: false, code: 'FAILED', message: `${req.op} of ${req.name} failed` };
    }
  }
}
