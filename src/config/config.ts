import { z } from 'zod';

const bool = (name: string) =>
  z
    .enum(['true', 'false', '1', '0'], { error: `${name} must be one of true, false, 1, 0` })
    .transform((v) => v === 'true' || v === '1');

const int = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be an integer from ${min} to ${max}` })
    .int({ error: `${name} must be an integer from ${min} to ${max}` })
    .min(min, { error: `${name} must be an integer from ${min} to ${max}` })
    .max(max, { error: `${name} must be an integer from ${min} to ${max}` });

const url = (name: string, protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { error: `${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/** Development-only signing key, used when JWT_SECRET is absent outside production. */
export const DEV_JWT_SECRET = 'dev-only-insecure-secret-change-me-0000000000';

const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { error: 'NODE_ENV must be one of development, production, test' })
    .default('development'),
  DATABASE_URL: url('DATABASE_URL', ['postgres:', 'postgresql:']).optional(),
  DATA_DIR: z.string().min(1).default('.data/pglite'),
  REDIS_URL: url('REDIS_URL', ['redis:', 'rediss:']).optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int('PORT', 0, 65535).default(4000),
  JWT_SECRET: z.string().min(32, { error: 'JWT_SECRET must be at least 32 characters' }).optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  ANALYTICS_REFRESH_DAYS: int('ANALYTICS_REFRESH_DAYS', 1, 31).default(3),
  SNAPSHOT_CONCURRENCY: int('SNAPSHOT_CONCURRENCY', 1, 64).default(4),
  SCHEDULER_ENABLED: bool('SCHEDULER_ENABLED').default(true),
  SEED_DEMO: bool('SEED_DEMO').optional(),
  DB_POOL_SIZE: int('DB_POOL_SIZE', 1, 200).default(10),
  DB_STATEMENT_TIMEOUT_MS: int('DB_STATEMENT_TIMEOUT_MS', 100, 600_000).default(30_000),
  MAX_BODY_BYTES: int('MAX_BODY_BYTES', 1024, 10_485_760).default(102_400),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every((o) => o === '*' || isOrigin(o)), {
      error: 'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com (scheme, host and port only), or *',
    })
    .default([]),
});

/** `https://app.example.com` or `http://localhost:5173`: a scheme, a host and maybe a port, nothing else. */
function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === value;
  } catch {
    return false;
  }
}

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  production: boolean;
  /** `undefined` → embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** `undefined` → in-process cache. */
  redisUrl: string | undefined;
  host: string;
  port: number;
  jwtSecret: string;
  /** true when JWT_SECRET was not given and the development key is in use. */
  devSecret: boolean;
  logLevel: Env['LOG_LEVEL'];
  /** LOG_LEVEL was set (command-line tools default to warnings only otherwise). */
  logLevelGiven: boolean;
  refreshDays: number;
  snapshotConcurrency: number;
  schedulerEnabled: boolean;
  /** Seed demo data into an empty database at start (default: only on the embedded database). */
  seedDemo: boolean;
  dbPoolSize: number;
  dbStatementTimeoutMs: number;
  maxBodyBytes: number;
  /** Origins of browser frontends allowed to call the API (CORS); empty: none. */
  corsOrigins: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment once. Throws a ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const input = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required when NODE_ENV=production (at least 32 characters)');
  }
  return {
    env: e.NODE_ENV,
    production,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    host: e.HOST,
    port: e.PORT,
    jwtSecret: e.JWT_SECRET ?? DEV_JWT_SECRET,
    devSecret: !e.JWT_SECRET,
    logLevel: e.LOG_LEVEL,
    logLevelGiven: input.LOG_LEVEL !== undefined,
    refreshDays: e.ANALYTICS_REFRESH_DAYS,
    snapshotConcurrency: e.SNAPSHOT_CONCURRENCY,
    schedulerEnabled: e.SCHEDULER_ENABLED,
    seedDemo: e.SEED_DEMO ?? !e.DATABASE_URL,
    dbPoolSize: e.DB_POOL_SIZE,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    corsOrigins: e.CORS_ORIGINS,
  };
}
