// A closed-loop HTTP load generator run as its own process: `concurrency` connections each send
// the next request as soon as the previous answer arrived, for `durationMs`. Prints one JSON line.
import { Pool } from 'undici';

interface LoadArgs {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  durationMs: number;
  concurrency: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as LoadArgs;
const target = new URL(args.url);
const pool = new Pool(target.origin, { connections: args.concurrency, pipelining: 1 });
const path = target.pathname + target.search;
let ok = 0;
let failed = 0;
const deadline = Date.now() + args.durationMs;

async function loop(): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await pool.request({
        path,
        method: args.method,
        headers: args.headers,
        ...(args.body !== undefined ? { body: args.body } : {}),
      });
      await res.body.dump();
      if (res.statusCode < 400) ok++;
      else failed++;
    } catch {
      failed++;
    }
  }
}

const started = Date.now();
await Promise.all(Array.from({ length: args.concurrency }, loop));
const seconds = (Date.now() - started) / 1000;
await pool.close();
console.log(JSON.stringify({ ok, failed, seconds, rps: ok / seconds }));
