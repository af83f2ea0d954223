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
