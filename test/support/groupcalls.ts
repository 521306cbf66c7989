import type { TestCallbin } from './callbin.ts';

/** A `sip` destination of `user` at a peer on 127.0.0.1:`port`. */
export function sipAt(user: string, port: number): { type: string; target: string } {
  return { type: 'sip', target: `sip:${user}@127.0.0.1:${port}` };
}

/** Polls `GET /v1.0/groupcalls/{id}` on `node` until `predicate` holds; returns that groupcall. */
export async function waitForGroupcall(node: TestCallbin, id: string, predicate: (gc: any) => boolean): Promise<any> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await node.api('GET', `/v1.0/groupcalls/${id}`);
    last = res.body;
    if (res.status === 200 && predicate(res.body)) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`groupcall ${id} did not reach the expected state; last: ${JSON.stringify(last)}`);
}
