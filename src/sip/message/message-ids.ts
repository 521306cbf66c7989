import { randomBytes, randomUUID } from 'node:crypto';

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this magic cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/** A fresh Via branch, unique in space and time, starting with the magic cookie. */
export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomBytes(12).toString('base64url');
}

/** A fresh From/To tag with at least 32 bits of randomness (RFC 3261 §19.3). */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** A fresh globally unique Call-ID. */
export function newCallId(): string {
  return randomUUID();
}
