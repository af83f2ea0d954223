import { createHmac } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenError, hs256Key, verifyHs256 } from './hs256.js';

const secret = new TextEncoder().encode('an-hs256-test-secret-of-at-least-32-chars');
const key = hs256Key(secret);
const now = Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact token from raw parts: header and payload objects (or already encoded strings), signed unless told otherwise. */
function craft(header: unknown, payload: unknown, sign: (input: string) => string = (input) => createHmac('sha256', secret).update(input).digest('base64url')): string {
  const h = typeof header === 'string' ? header : b64(header);
  const p = typeof payload === 'string' ? payload : b64(payload);
  return `${h}.${p}.${sign(`${h}.${p}`)}`;
}

/** jose's outcome, in verifyHs256's terms. */
async function joseOutcome(token: string): Promise<string> {
  try {
    await jwtVerify(token, secret, { algorithms: ['HS256'], requiredClaims: ['exp'], clockTolerance: 5 });
    return 'ok';
  } catch (error) {
    if (error instanceof errors.JWTExpired) return 'expired';
    if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
    if (error instanceof errors.JWTClaimValidationFailed) return `claim: ${error.message}`;
    return 'invalid';
  }
}

function ownOutcome(token: string): string {
  try {
    verifyHs256(token, key, 5);
    return 'ok';
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    return error.kind === 'claim' ? `claim: ${error.message}` : error.kind;
  }
}

const hs = { alg: 'HS256', typ: 'JWT' };
const claims = { teamId: 'x', role: 'member', iat: now, exp: now + 3600 };
const cases: Record<string, string> = {
  valid: craft(hs, claims),
  'valid, padded parts': (() => {
    const t = craft(hs, { ...claims, x: 'ab' }).split('.');
    return t[0]!.length % 4 === 2 ? `${t[0]}==.${t[1]}.${t[2]}` : `${t[0]}.${t[1]}.${t[2]}`;
  })(),
  'no exp': craft(hs, { teamId: 'x' }),
  'exp a string': craft(hs, { exp: String(now + 60) }),
  'iat a string': craft(hs, { ...claims, iat: 'yesterday' }),
  'nbf a string': craft(hs, { ...claims, nbf: 'soon' }),
  expired: craft(hs, { ...claims, exp: now - 60 }),
  'expired within tolerance': craft(hs, { ...claims, exp: now - 2 }),
  'nbf in the future': craft(hs, { ...claims, nbf: now + 60 }),
  'nbf within tolerance': craft(hs, { ...claims, nbf: now + 2 }),
  'bad signature': craft(hs, claims, () => createHmac('sha256', 'another-secret').update('x').digest('base64url')),
  'short signature': craft(hs, claims, (input) => createHmac('sha256', secret).update(input).digest('base64url').slice(0, 20)),
  'signature with + and /': craft(hs, claims, (input) => createHmac('sha256', secret).update(input).digest('base64')),
  'no signature': craft(hs, claims, () => ''),
  'alg none': craft({ alg: 'none' }, claims, () => ''),
  'alg HS512': craft({ alg: 'HS512' }, claims),
  'alg missing': craft({ typ: 'JWT' }, claims),
  'alg empty': craft({ alg: '' }, claims),
  'alg a number': craft({ alg: 256 }, claims),
  'header an array': craft([1], claims),
  'header not JSON': craft(b64('{alg'), claims),
  'header not base64url': craft('e$J', claims),
  'payload an array': craft(hs, [1, 2]),
  'payload null': craft(hs, 'null'),
  'payload not JSON': craft(hs, b64('{exp')),
  'payload not base64url': craft(hs, 'a*b'),
  'payload not ASCII': craft(hs, 'é'),
  'payload invalid UTF-8': craft(hs, Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')),
  'crit b64 true': craft({ ...hs, crit: ['b64'], b64: true }, claims),
  'crit b64 false': craft({ ...hs, crit: ['b64'], b64: false }, JSON.stringify(claims).replace(/[^\x21-\x7e]/g, '')),
  'crit b64 not boolean': craft({ ...hs, crit: ['b64'], b64: 1 }, claims),
  'crit b64 missing': craft({ ...hs, crit: ['b64'] }, claims),
  'crit unknown': craft({ ...hs, crit: ['exp'] }, claims),
  'crit empty': craft({ ...hs, crit: [] }, claims),
  'crit with alg HS512': craft({ alg: 'HS512', crit: ['zip'] }, claims),
  'two parts': craft(hs, claims).split('.').slice(0, 2).join('.'),
  'four parts': `${craft(hs, claims)}.x`,
  'payload length 1 mod 4': craft(hs, b64(claims).padEnd(Math.ceil((b64(claims).length - 1) / 4) * 4 + 1, 'A')),
};

describe('verifyHs256 decides as jose does', () => {
  for (const [name, token] of Object.entries(cases)) {
    it(name, async () => {
      expect(ownOutcome(token)).toBe(await joseOutcome(token));
    });
  }

  it('returns the claims of a valid token', () => {
    expect(verifyHs256(cases.valid!, key, 5)).toEqual(claims);
  });
});
