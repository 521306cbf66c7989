import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/index.ts';
import { parseDigestParams, quoteParam } from './digest-params.ts';
import { digestResponse, toDigestAlgorithm } from './digest-response.ts';

/** What a client needs to answer one WWW-Authenticate / Proxy-Authenticate challenge. */
export interface DigestAuthorizationInput {
  /** The challenge header value (`Digest realm="…", nonce="…", …`). */
  challenge: string;
  method: string;
  uri: string;
  username: string;
  password: string;
  cnonce?: string;
  /** Nonce count for this nonce, starting at 1. */
  nc?: number;
}

/**
 * The Authorization / Proxy-Authorization value answering `challenge` (RFC 7616 §3.4), with the
 * algorithm the challenge names; qop=auth when offered, the RFC 2069 form otherwise.
 * Throws AppError `DIGEST_CHALLENGE` for a challenge it cannot answer.
 */
export function digestAuthorization(input: DigestAuthorizationInput): string {
  const parsed = parseDigestParams(input.challenge);
  if (parsed?.scheme.toLowerCase() !== 'digest') throw new AppError('DIGEST_CHALLENGE', 'not a Digest challenge');
  const p = parsed.params;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  const algorithm = toDigestAlgorithm(p.get('algorithm'));
  if (realm === undefined || nonce === undefined)
    throw new AppError('DIGEST_CHALLENGE', 'challenge without realm or nonce');
  if (algorithm === undefined) throw new AppError('DIGEST_CHALLENGE', `unsupported algorithm ${p.get('algorithm')}`);
  const offersAuth = (p.get('qop') ?? '').split(',').some((q) => q.trim().toLowerCase() === 'auth');
  const fields = [
    `username=${quoteParam(input.username)}`,
    `realm=${quoteParam(realm)}`,
    `nonce=${quoteParam(nonce)}`,
    `uri=${quoteParam(input.uri)}`,
  ];
  const base = {
    algorithm,
    username: input.username,
    realm,
    password: input.password,
    method: input.method,
    uri: input.uri,
    nonce,
  };
  if (offersAuth) {
    const cnonce = input.cnonce ?? randomBytes(12).toString('hex');
    const nc = (input.nc ?? 1).toString(16).padStart(8, '0');
    fields.push(`response=${quoteParam(digestResponse({ ...base, qop: 'auth', nc, cnonce }))}`);
    fields.push(`algorithm=${algorithm}`, `cnonce=${quoteParam(cnonce)}`, 'qop=auth', `nc=${nc}`);
  } else {
    fields.push(`response=${quoteParam(digestResponse(base))}`, `algorithm=${algorithm}`);
  }
  const opaque = p.get('opaque');
  if (opaque !== undefined) fields.push(`opaque=${quoteParam(opaque)}`);
  return `Digest ${fields.join(', ')}`;
}
