import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** The machine's Redis URL, or null when none answers (then Redis-only suites are reported as not run). */
export function testRedisUrl(): string | null {
  return inject('services').redisUrl;
}

/** Label for a suite that needs Redis itself: says plainly when it did not run. */
export function redisSuiteName(name: string): string {
  return testRedisUrl() ? name : `${name} — NOT RUN: no Redis at TEST_REDIS_URL (set REQUIRE_SERVICES=1 to fail instead)`;
}

/** A key namespace of the test's own, so tests sharing one Redis never see each other's keys. */
export function uniqueNamespace(): string {
  return `test-${randomBytes(5).toString('hex')}`;
}
