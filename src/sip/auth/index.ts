export { DigestChallenger } from './digest-challenger.ts';
export type { DigestCredentials, DigestVerdict, DigestChallengerOptions } from './digest-challenger.ts';
export { digestAuthorization } from './digest-authorization.ts';
export type { DigestAuthorizationInput } from './digest-authorization.ts';
export { digestResponse, toDigestAlgorithm } from './digest-response.ts';
export type { DigestAlgorithm, DigestInput } from './digest-response.ts';
export { parseDigestParams, quoteParam } from './digest-params.ts';
export type { DigestParams } from './digest-params.ts';
