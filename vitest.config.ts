import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit specs live beside the code (src/**/*.test.ts); tiers against real services in tests/.
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    env: { TZ: 'UTC', NODE_ENV: 'test' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
