import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { isUuid } from '../teams/team.store.js';
import { TokenError, hs256Key, verifyHs256 } from './hs256.js';

export type Role = 'member' | 'admin';
export const ROLES: readonly Role[] = ['member', 'admin'];

/** Who is calling: the team comes only from the token (spec §7). */
export interface Principal {
  teamId: string;
  role: Role;
}

/** A missing, malformed, expired or badly signed token. `message` is safe to show the caller. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

const ALGORITHM = 'HS256';
const CLOCK_TOLERANCE_SECONDS = 5;
const encoder = new TextEncoder();

/** The HS256 key for a secret; keep one per process (encoding is cheap but not free). */
export function secretKey(secret: string): Uint8Array {
  if (secret.length < 32) throw new RangeError('JWT secret must be at least 32 characters');
  return encoder.encode(secret);
}

/**
 * Verifies an HS256 JWT: algorithm pinned, signature, `exp` required and enforced (with a small
 * clock tolerance), `teamId` (a UUID) and `role` ('member' | 'admin') required.
 */
export async function verifyToken(token: string, key: Uint8Array): Promise<Principal> {
  return verifyWithExpiry(token, hs256Key(key)).principal;
}

const MESSAGES: Record<TokenError['kind'], (e: TokenError) => string> = {
  expired: () => 'The token has expired',
  algorithm: () => 'The token must be signed with HS256',
  claim: (e) => `The token is invalid: ${e.message}`,
  invalid: () => 'The token is invalid (malformed or bad signature)',
};

/** Synchronous (node:crypto): no WebCrypto key import, no asynchronous job per request. */
function verifyWithExpiry(token: string, key: KeyObject): { principal: Principal; exp: number } {
  let payload: Record<string, unknown>;
  try {
    payload = verifyHs256(token, key, CLOCK_TOLERANCE_SECONDS);
  } catch (error) {
    if (error instanceof TokenError) throw new AuthenticationError(MESSAGES[error.kind](error));
    throw error;
  }
  const { teamId, role } = payload;
  if (typeof teamId !== 'string' || !isUuid(teamId)) throw new AuthenticationError('The token must carry a teamId claim (a UUID)');
  if (role !== 'member' && role !== 'admin') throw new AuthenticationError("The token must carry a role claim: 'member' or 'admin'");
  return { principal: { teamId: teamId.toLowerCase(), role }, exp: payload.exp as number };
}

/** Reads `Authorization: Bearer <token>`; null when the header is absent. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AuthenticationError('The Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/** Resolves a request's Authorization header into a principal, or the reason there is none. */
export interface AuthResult {
  principal: Principal | null;
  /** Why there is no principal, safe to show. */
  error: string | null;
}

const MISSING = 'Authentication required: send "Authorization: Bearer <JWT>"';

export async function authenticate(header: string | undefined | null, key: Uint8Array): Promise<AuthResult> {
  try {
    const token = bearerToken(header);
    if (!token) return { principal: null, error: MISSING };
    return { principal: await verifyToken(token, key), error: null };
  } catch (error) {
    if (error instanceof AuthenticationError) return { principal: null, error: error.message };
    throw error;
  }
}

export interface SignOptions {
  /** Seconds until expiry (default 12 h). */
  expiresInSeconds?: number;
  subject?: string;
}

/** Signs a token the gateway accepts: for the demo, tests and operators' tooling. */
export async function signToken(principal: Principal, key: Uint8Array, opts: SignOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ teamId: principal.teamId, role: principal.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresInSeconds ?? 12 * 3600));
  if (opts.subject) jwt.setSubject(opts.subject);
  return jwt.sign(key);
}

/**
 * authenticate(), synchronous, with a memory of tokens already verified: a polling client sends the
 * same token every few seconds, and a look-up costs less than verifying it again (an HMAC and two
 * JSON parses). An entry lives at most 60 s and never past the token's `exp`; only successful
 * verifications are kept.
 */
export function createAuthenticator(key: Uint8Array, maxEntries = 10_000): (header: string | undefined | null) => AuthResult {
  const hmacKey = hs256Key(key);
  // Insertion order is age order: when full, the oldest entry goes (a Map is cheaper per look-up than an LRU).
  const verified = new Map<string, { principal: Principal; until: number }>();
  return (header) => {
    try {
      const token = bearerToken(header);
      if (!token) return { principal: null, error: MISSING };
      const now = Date.now();
      const known = verified.get(token);
      if (known !== undefined) {
        if (known.until > now) return { principal: known.principal, error: null };
        verified.delete(token);
      }
      const { principal, exp } = verifyWithExpiry(token, hmacKey);
      const until = Math.min(now + 60_000, exp * 1000);
      if (until > now) {
        if (verified.size >= maxEntries) verified.delete(verified.keys().next().value!);
        verified.set(token, { principal, until });
      }
      return { principal, error: null };
    } catch (error) {
      if (error instanceof AuthenticationError) return { principal: null, error: error.message };
      throw error;
    }
  };
}
