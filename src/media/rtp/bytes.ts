/**
 * Views a Node Buffer as the Uint8Array it is at runtime. @types/node 20 declares Buffer with a
 * `slice()` that the es2023 lib's generic Uint8Array rejects, so received datagrams cross into our
 * Uint8Array-typed code here; no copy, no allocation.
 */
export function bytesOf(buf: Buffer): Uint8Array {
  return buf as unknown as Uint8Array;
}
