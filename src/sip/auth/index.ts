export { DigestChallenger } from './digest-challenger.ts';
export type {
  DigestCredentials,
  DigestVerdict,
  DigestChallengerOptions,
  DigestExpectation,
  DigestSecret,
} from './digest-challenger.ts';
export { digestAuthorization } from './digest-authorization.ts';
export type { DigestAuthorizationInput } from './digest-authorization.ts';
export { digestHa1, digestHa1s, digestResponse, digestResponseFromHa1, toDigestAlgorithm } from './digest-response.ts';
export type { DigestAlgorithm, DigestChallengeInput, DigestHa1, DigestInput } from './digest-response.ts';
export { parseDigestParams, quoteParam } from './digest-params.ts';
export type { DigestParams } from './digest-params.ts';
export { DigestGuard } from './digest-guard.ts';
export type { DigestAttempt, DigestGuardOptions, DigestLookup, DigestOutcome, DigestStats } from './digest-guard.ts';
export { DigestFailureLimiter, DEFAULT_DIGEST_LIMITS } from './digest-limiter.ts';
export type { DigestBlock, DigestLimits } from './digest-limiter.ts';
export { FailureBudget } from './failure-budget.ts';
export type { FailureBudgetLimits } from './failure-budget.ts';
export { NonceCounts } from './nonce-counts.ts';
export type { NonceCountLimits } from './nonce-counts.ts';
