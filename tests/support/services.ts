/** Which real services the test run uses. Resolved once in global-setup and injected into tests. */
export interface TestServices {
  /** Admin URL of the machine's Postgres, or null → tests run on embedded PGlite. */
  postgresUrl: string | null;
  /** URL of the machine's Redis, or null → Redis-only tests are reported as not run. */
  redisUrl: string | null;
  /** Database that holds the migrated schema; per-test databases are copied from it. */
  templateDatabase: string | null;
  /** Prefix of every database this run creates (runs on one machine never touch each other's). */
  databasePrefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

