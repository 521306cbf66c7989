import { crc32 } from 'node:zlib';
import type { ByteRange, Recording, RecordingFile } from '../../recordings/index.ts';
import { ApiError } from '../errors.ts';

/** Reads a recording file's bytes (all, or an inclusive range). */
export type RecordingFileReader = (filename: string, range?: ByteRange) => AsyncIterable<Uint8Array>;

/** One piece of a download: bytes in memory or a stored file. */
type Segment = { kind: 'bytes'; data: Uint8Array } | { kind: 'file'; filename: string; size: number };

/** What `GET /recordingfiles/{id}` sends: its media type, total size and the pieces in order. */
export interface DownloadBody {
  contentType: 'audio/wav' | 'application/zip';
  filename: string;
  size: number;
  segments: readonly Segment[];
}

// ZIP application note (APPNOTE.TXT) §4.3: local header 30 bytes, central header 46, end record 22.
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_RECORD_BYTES = 22;
const ZIP_VERSION = 20;
const MAX_ZIP32 = 0xffff_ffff;

/** MS-DOS date and time of a timestamp (APPNOTE §4.4.6), in UTC. */
function dosDateTime(iso: string | undefined): { date: number; time: number } {
  const d = new Date(iso ?? 0);
  const year = Math.max(1980, d.getUTCFullYear());
  return {
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  };
}

async function crcOf(read: RecordingFileReader, filename: string): Promise<number> {
  let crc = 0;
  for await (const chunk of read(filename)) crc = crc32(chunk, crc);
  return crc;
}

function header(bytes: number, fields: [offset: number, size: 2 | 4, value: number][], signature: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUInt32LE(signature, 0);
  for (const [offset, size, value] of fields) {
    if (size === 2) out.writeUInt16LE(value, offset);
    else out.writeUInt32LE(value >>> 0, offset);
  }
  return out;
}

/** A stored (uncompressed) ZIP of the files: sizes are known up front, so any byte range can be served. */
async function zipBody(recording: Recording, read: RecordingFileReader): Promise<DownloadBody> {
  const { date, time } = dosDateTime(recording.tm_end);
  const segments: Segment[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const file of recording.files) {
    const name = Buffer.from(file.filename, 'utf8');
    const crc = await crcOf(read, file.filename);
    // version, flags, method 0 (stored), time, date, crc, compressed size, size, name length
    const common: [number, 2 | 4, number][] = [
      [6, 2, 0],
      [8, 2, 0],
      [10, 2, time],
      [12, 2, date],
      [14, 4, crc],
      [18, 4, file.bytes],
      [22, 4, file.bytes],
      [26, 2, name.length],
    ];
    const local = header(LOCAL_HEADER_BYTES, [[4, 2, ZIP_VERSION], ...common], 0x04034b50);
    segments.push(
      { kind: 'bytes', data: Buffer.concat([local, name]) },
      { kind: 'file', filename: file.filename, size: file.bytes },
    );
    const shifted = common.map(([at, size, value]) => [at + 2, size, value] as [number, 2 | 4, number]);
    central.push(
      header(CENTRAL_HEADER_BYTES, [[4, 2, ZIP_VERSION], [6, 2, ZIP_VERSION], ...shifted, [42, 4, offset]], 0x02014b50),
      name,
    );
    offset += local.length + name.length + file.bytes;
  }
  const directory = Buffer.concat(central);
  const count = recording.files.length;
  const end = header(
    END_RECORD_BYTES,
    [
      [8, 2, count],
      [10, 2, count],
      [12, 4, directory.length],
      [16, 4, offset],
    ],
    0x06054b50,
  );
  if (offset + directory.length > MAX_ZIP32)
    throw new ApiError('RECORDING_TOO_LARGE', 'the recording is too large for a zip download');
  segments.push({ kind: 'bytes', data: Buffer.concat([directory, end]) });
  return {
    contentType: 'application/zip',
    filename: `${recording.id}.zip`,
    size: offset + directory.length + end.length,
    segments,
  };
}

/** The download of a finished recording: its one WAV, or a ZIP of its WAVs. */
export async function downloadBody(recording: Recording, read: RecordingFileReader): Promise<DownloadBody> {
  const files: RecordingFile[] = recording.files;
  const only = files[0];
  if (files.length === 1 && only) {
    return {
      contentType: 'audio/wav',
      filename: only.filename,
      size: only.bytes,
      segments: [{ kind: 'file', filename: only.filename, size: only.bytes }],
    };
  }
  return zipBody(recording, read);
}

/**
 * The byte range a `Range` header asks of `size` bytes (RFC 9110 §14.1.2): undefined for the whole
 * body (no header, another unit, or several ranges, which a server may answer in full, §14.2);
 * `unsatisfiable` for a malformed or out-of-bounds `bytes=` range (416, §15.5.17).
 */
export function parseRange(value: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(value);
  if (!m) return undefined;
  const specs = (m[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length > 1) return undefined;
  const spec = /^(\d*)-(\d*)$/.exec(specs[0] ?? '');
  if (!spec || (spec[1] === '' && spec[2] === '')) return 'unsatisfiable';
  if (spec[1] === '') {
    const suffix = Number(spec[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(spec[1]);
  const end = spec[2] === '' ? size - 1 : Math.min(Number(spec[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** The bytes `range` (inclusive) of the body, reading only the parts of files it covers. */
export async function* bodyBytes(
  body: DownloadBody,
  read: RecordingFileReader,
  range: ByteRange,
): AsyncIterable<Uint8Array> {
  let at = 0;
  for (const segment of body.segments) {
    const length = segment.kind === 'bytes' ? segment.data.length : segment.size;
    const from = Math.max(range.start, at);
    const to = Math.min(range.end, at + length - 1);
    if (from <= to) {
      if (segment.kind === 'bytes') yield segment.data.subarray(from - at, to - at + 1);
      else yield* read(segment.filename, { start: from - at, end: to - at });
    }
    at += length;
    if (at > range.end) return;
  }
}

/**
 * `bytes` with its first chunk already read, so a file that cannot be read (its node down, 503) is
 * an error answer before the status line and headers are sent, not a cut-off body.
 */
export async function readAhead(bytes: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const it = bytes[Symbol.asyncIterator]();
  const first = await it.next();
  return (async function* rest() {
    try {
      if (first.done) return;
      yield first.value;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
    } finally {
      // A client that goes away stops the read of the file underneath too.
      await it.return?.();
    }
  })();
}
