import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Synchronous HS256 verification of a compact JWT with node:crypto, checking what `jose`'s
 * `jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['exp'], clockTolerance })` checks,
 * in the same order and with the same outcomes: the header (a JSON object; `crit` only with `b64`;
 * `alg` present and HS256), the signature (HMAC-SHA256, constant-time comparison), then the claims
 * (a JSON object; `exp` required; `iat`, `nbf`, `exp` numbers when present; `nbf` and `exp` against
 * the clock with the tolerance). WebCrypto made every verification an asynchronous job; this does not.
 */

/** Why a token was refused; `kind` maps to jose's error classes (and so to the same messages). */
export class TokenError extends Error {
  constructor(
    readonly kind: 'invalid' | 'algorithm' | 'expired' | 'claim',
    message: string,
  ) {
    super(message);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** base64url as jose decodes it on Node 20 (atob's forgiving rules, without '+' and '/'); null when malformed. */
function decodePart(part: string): Buffer | null {
  if (!BASE64URL.test(part)) return null;
  let bare = part;
  if (part.endsWith('=')) {
    if (part.length % 4 !== 0) return null;
    bare = part.replace(/=+$/, '');
  }
  if (bare.length % 4 === 1) return null;
  return Buffer.from(bare, 'base64url');
}

/** A JSON object (not an array, not null) from base64url, or null. */
function jsonObject(part: string): Record<string, unknown> | null {
  const bytes = decodePart(part);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const invalid = (message = 'malformed') => new TokenError('invalid', message);

/** `crit` as jose validates it for a JWS (only `b64` is recognised); returns the `b64` flag. */
function checkCrit(header: Record<string, unknown>): boolean {
  const crit = header.crit;
  if (crit === undefined) return true;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((p) => typeof p !== 'string' || p.length === 0)) throw invalid();
  for (const parameter of crit) {
    if (parameter !== 'b64' || header.b64 === undefined) throw invalid();
  }
  if (typeof header.b64 !== 'boolean') throw invalid();
  return header.b64;
}

function numericClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TokenError('claim', `"${name}" claim must be a number`);
  return value;
}

export function hs256Key(secret: Uint8Array): KeyObject {
  return createSecretKey(secret);
}

/** The verified claims of an HS256 JWT with a required `exp`; throws TokenError. `now` in epoch seconds. */
export function verifyHs256(token: string, key: KeyObject, toleranceSeconds: number, now = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  const [head, body, signature] = parts as [string, string, string];
  const header = jsonObject(head);
  if (!header) throw invalid();
  const b64 = checkCrit(header);
  const alg = header.alg;
  if (typeof alg !== 'string' || !alg) throw invalid();
  if (alg !== 'HS256') throw new TokenError('algorithm', '"alg" (Algorithm) Header Parameter value not allowed');
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(body)) throw invalid(); // jose's signing input must be ASCII
  const given = decodePart(signature);
  if (!given) throw invalid();
  const expected = createHmac('sha256', key).update(head).update('.').update(body).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('signature verification failed');
  if (!b64) throw invalid('JWTs must not use unencoded payload');
  const claims = jsonObject(body);
  if (!claims) throw invalid('JWT Claims Set must be a top-level JSON object');
  if (!Object.hasOwn(claims, 'exp')) throw new TokenError('claim', 'missing required "exp" claim');
  numericClaim(claims, 'iat');
  const nbf = numericClaim(claims, 'nbf');
  if (nbf !== undefined && nbf > now + toleranceSeconds) throw new TokenError('claim', '"nbf" claim timestamp check failed');
  const exp = numericClaim(claims, 'exp');
  if (exp !== undefined && exp <= now - toleranceSeconds) throw new TokenError('expired', '"exp" claim timestamp check failed');
  return claims;
}
