import { randomFillSync, randomUUID } from 'node:crypto';

// Branches and tags are cut from one pooled buffer of CSPRNG bytes, refilled when spent, instead
// of a native call and a new buffer per id (several ids per call).
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomSlice(length: number): Buffer {
  if (poolOffset + length > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + length);
  poolOffset += length;
  return slice;
}

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this magic cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/** A fresh Via branch, unique in space and time, starting with the magic cookie. */
export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomSlice(12).toString('base64url');
}

/** A fresh From/To tag with at least 32 bits of randomness (RFC 3261 §19.3). */
export function newTag(): string {
  return randomSlice(8).toString('hex');
}

/** A fresh globally unique Call-ID. */
export function newCallId(): string {
  return randomUUID();
}
