import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';

export const median = (xs: number[]): number => percentile(xs, 50);

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Rotates the list by `round` so every configuration takes every position over the rounds. */
export const rotate = <T>(xs: readonly T[], round: number): T[] => xs.map((_, i) => xs[(i + round) % xs.length]!);

export interface MachineInfo {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  redis: string | null;
  loadAverageAtStart: string;
  date: string;
  /** The same fixed work timed at the start and at the end of the run (absent in runs before 2026-12-07). */
  speed?: { start: HostSpeed; end?: HostSpeed };
}

/** Milliseconds (median of 3) of fixed work: how fast this host is at the time, comparable across runs. */
export interface HostSpeed {
  /** `SELECT sum(i) FROM generate_series(1, 5000000) i` with JIT off, on a fresh connection. */
  sqlMs: number;
  /** A JavaScript loop of 200 million additions. */
  jsMs: number;
}

export async function hostSpeed(adminUrl: string): Promise<HostSpeed> {
  const c = new pg.Client({ connectionString: adminUrl, options: '-c jit=off' });
  await c.connect();
  const sql: number[] = [];
  const js: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      sql.push((await timed(() => c.query('SELECT sum(i) FROM generate_series(1, 5000000) i'))).ms);
      const t0 = performance.now();
      let x = 0;
      for (let k = 0; k < 2e8; k++) x += k % 7;
      if (x < 0) throw new Error('unreachable'); // keeps the loop from being optimised away
      js.push(performance.now() - t0);
    }
  } finally {
    await c.end();
  }
  return { sqlMs: median(sql), jsMs: median(js) };
}

export async function machineInfo(adminUrl: string, redisVersion: string | null): Promise<MachineInfo> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  const version = (await c.query<{ v: string }>(`SELECT version() AS v`)).rows[0]!.v;
  const names = ['shared_buffers', 'work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather', 'jit', 'random_page_cost', 'autovacuum'];
  const settings = (await c.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, current_setting(name) AS setting, unit FROM pg_settings WHERE name = ANY($1)`,
    [names],
  )).rows;
  await c.end();
  let load = '';
  try {
    load = execSync('cat /proc/loadavg', { encoding: 'utf8' }).trim().split(' ').slice(0, 3).join(' ');
  } catch {
    /* not linux */
  }
  return {
    nproc: Number(execSync('nproc', { encoding: 'utf8' }).trim()) || cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    postgres: version.split(' on ')[0] ?? version,
    postgresSettings: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
    redis: redisVersion,
    loadAverageAtStart: load,
    date: new Date().toISOString(),
  };
}

export const loadAverage = (): string => {
  try {
    return execSync('cat /proc/loadavg', { encoding: 'utf8' }).trim().split(' ').slice(0, 3).join(' ');
  } catch {
    return '';
  }
};

/** A connection string with session options (e.g. `-c jit=off`) passed to the server at connect. */
export function withOptions(url: string, options: string): string {
  const u = new URL(url);
  u.searchParams.set('options', options);
  return u.toString();
}
