import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authenticate, createAuthenticator, secretKey, signToken, verifyToken } from './jwt.js';

const key = secretKey('a-test-secret-of-at-least-32-characters!!');
const other = secretKey('another-secret-of-at-least-32-characters');
const teamId = '6f1c2f0e-8f7a-4c1e-9a43-0d9a3b2c1e55';

describe('JWT verification', () => {
  it('accepts a signed token and returns team and role', async () => {
    const token = await signToken({ teamId, role: 'admin' }, key);
    await expect(verifyToken(token, key)).resolves.toEqual({ teamId, role: 'admin' });
  });

  it('rejects a bad signature, an expired token and a token without exp', async () => {
    await expect(verifyToken(await signToken({ teamId, role: 'member' }, other), key)).rejects.toThrow(/invalid/);
    await expect(verifyToken(await signToken({ teamId, role: 'member' }, key, { expiresInSeconds: -60 }), key)).rejects.toThrow(/expired/);
    const noExp = await new SignJWT({ teamId, role: 'member' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await expect(verifyToken(noExp, key)).rejects.toThrow(/exp/);
  });

  it('pins the algorithm: alg none and HS512 are refused', async () => {
    const none = new UnsecuredJWT({ teamId, role: 'admin' }).setExpirationTime('1h').encode();
    await expect(verifyToken(none, key)).rejects.toThrow();
    const hs512 = await new SignJWT({ teamId, role: 'admin' }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(key);
    await expect(verifyToken(hs512, key)).rejects.toThrow(/HS256/);
  });

  it('requires a UUID teamId and a known role', async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key);
    await expect(verifyToken(await sign({ role: 'admin' }), key)).rejects.toThrow(/teamId/);
    await expect(verifyToken(await sign({ teamId: 'team-1', role: 'admin' }), key)).rejects.toThrow(/teamId/);
    await expect(verifyToken(await sign({ teamId, role: 'owner' }), key)).rejects.toThrow(/role/);
    await expect(verifyToken(await sign({ teamId }), key)).rejects.toThrow(/role/);
  });

  it('authenticate() reports a missing or malformed header without throwing', async () => {
    expect(await authenticate(undefined, key)).toMatchObject({ principal: null, error: expect.stringMatching(/Bearer/) });
    expect(await authenticate('Basic abc', key)).toMatchObject({ principal: null, error: expect.stringMatching(/Bearer/) });
    expect(await authenticate('Bearer not.a.jwt', key)).toMatchObject({ principal: null, error: expect.stringMatching(/invalid/) });
    const token = await signToken({ teamId, role: 'member' }, key);
    expect(await authenticate(`Bearer ${token}`, key)).toEqual({ principal: { teamId, role: 'member' }, error: null });
  });

  it('refuses secrets shorter than 32 characters', () => {
    expect(() => secretKey('short')).toThrow(RangeError);
  });
});

describe('createAuthenticator', () => {
  const secret = 'an-authenticator-test-secret-of-32+chars';
  it('remembers verified tokens, never failures, and never past exp', async () => {
    const key = secretKey(secret);
    const auth = createAuthenticator(key);
    const principal = { teamId: '11111111-1111-4111-8111-111111111111', role: 'member' as const };
    const good = await signToken(principal, key);
    expect(await auth(`Bearer ${good}`)).toEqual({ principal, error: null });
    expect(await auth(`Bearer ${good}`)).toEqual({ principal, error: null });
    const forged = await signToken(principal, secretKey('x'.repeat(40)));
    expect((await auth(`Bearer ${forged}`)).principal).toBeNull();
    expect((await auth(`Bearer ${forged}`)).principal).toBeNull();
    expect((await auth('Basic abc')).error).toMatch(/Bearer/);
    expect((await auth(undefined)).error).toMatch(/Authentication required/);
    const expired = await signToken(principal, key, { expiresInSeconds: -60 });
    expect((await auth(`Bearer ${expired}`)).error).toMatch(/expired/);
  });

  afterEach(() => vi.useRealTimers());

  it('a remembered token stops being accepted at its exp (beyond the clock tolerance)', async () => {
    const key = secretKey(secret);
    const auth = createAuthenticator(key);
    const principal = { teamId: '22222222-2222-4222-8222-222222222222', role: 'admin' as const };
    const token = await signToken(principal, key, { expiresInSeconds: 10 });
    expect(auth(`Bearer ${token}`)).toEqual({ principal, error: null });
    vi.useFakeTimers({ now: Date.now() + 20_000 });
    expect(auth(`Bearer ${token}`).error).toMatch(/expired/);
  });

  it('stays correct when more tokens are seen than it remembers', async () => {
    const key = secretKey(secret);
    const auth = createAuthenticator(key, 2);
    const teams = ['33333333-3333-4333-8333-000000000001', '33333333-3333-4333-8333-000000000002', '33333333-3333-4333-8333-000000000003'];
    const tokens = await Promise.all(teams.map((teamId) => signToken({ teamId, role: 'member' }, key)));
    for (let round = 0; round < 2; round++) {
      tokens.forEach((t, i) => expect(auth(`Bearer ${t}`).principal?.teamId).toBe(teams[i]));
    }
  });
});
