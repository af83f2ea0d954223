/**
 * A private Postgres cluster of a test's own (its own data directory and port on 127.0.0.1), which the
 * test may stop, kill and restart without touching the machine's shared Postgres.
 *
 * initdb is slow (seconds to tens of seconds on a busy machine), so the first cluster of a machine is
 * initialised once into a template directory under the OS temp dir and every cluster after that is a
 * copy of it (`cp -a` of a stopped cluster is a valid cluster). initdb and pg_ctl refuse to run as
 * root: as root they run as the `postgres` user (runuser), and the directories are owned by it.
 *
 * Binaries: PG_BIN, else `pg_config --bindir`, else /usr/lib/postgresql/<15..17>/bin.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './redis-server.js';

function findBinDir(): string | null {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const cfg = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (cfg.status === 0 && cfg.stdout.trim()) candidates.push(cfg.stdout.trim());
  for (const v of [15, 16, 17, 14]) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  return candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl'))) ?? null;
}

const BIN = findBinDir();
const AS_ROOT = process.getuid?.() === 0;

function postgresUser(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

const PG_USER = AS_ROOT ? postgresUser() : null;

/** Why a private cluster cannot be started here, or null when it can. */
export function privatePostgresUnavailable(): string | null {
  if (!BIN) return 'no Postgres server binaries (initdb, pg_ctl) found; set PG_BIN';
  if (AS_ROOT && !PG_USER) return 'running as root and there is no postgres user to run initdb as';
  if (AS_ROOT && spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status !== 0) return 'running as root without runuser';
  return null;
}

/** Runs a Postgres tool (as the postgres user when we are root). Throws with its output on failure. */
function tool(name: string, args: string[], opts: { timeoutMs?: number; allowFail?: boolean } = {}): { status: number | null; output: string } {
  const bin = join(BIN!, name);
  const [cmd, argv] = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, cwd: tmpdir() });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${name} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${output}`);
  return { status: r.status, output };
}

function ownByPostgres(path: string): void {
  if (PG_USER) chownSync(path, PG_USER.uid, PG_USER.gid);
}

/** A mutual-exclusion directory lock across processes (test workers), with a stale-lock timeout. */
async function withDirLock<T>(lockDir: string, fn: () => Promise<T> | T, staleMs = 300_000): Promise<T> {
  for (const deadline = Date.now() + staleMs + 60_000; ; ) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > staleMs) rmdirSync(lockDir);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`could not take ${lockDir}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** A stopped, initialised cluster directory to copy (initdb once per machine and Postgres version). */
async function templateCluster(): Promise<string> {
  const version = tool('pg_ctl', ['--version']).output.replace(/\D+/g, '_').replace(/^_|_$/g, '');
  const base = join(tmpdir(), `analytics-reliability-pgtemplate-${version}-${userInfo().uid}`);
  const ready = join(base, 'READY');
  if (existsSync(ready)) return join(base, 'data');
  return withDirLock(`${base}.lock`, () => {
    if (existsSync(ready)) return join(base, 'data');
    rmSync(base, { recursive: true, force: true });
    const building = `${base}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    ownByPostgres(building);
    tool('initdb', ['-D', join(building, 'data'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], { timeoutMs: 300_000 });
    writeFileSync(join(building, 'READY'), new Date().toISOString());
    renameSync(building, base);
    return join(base, 'data');
  });
}

export interface PrivatePostgresOptions {
  /** Extra server settings (-c name=value). */
  settings?: Record<string, string | number>;
}

/** Clusters still running when the test process exits (a crashed worker) are stopped with it. */
const started = new Set<PrivatePostgres>();
process.once('exit', () => {
  for (const server of started) tool('pg_ctl', ['-D', server.dataDir, '-m', 'immediate', 'stop'], { allowFail: true, timeoutMs: 20_000 });
});

export class PrivatePostgres {
  private running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly settings: Record<string, string | number>,
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get logFile(): string {
    return join(this.dir, 'postgres.log');
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Admin connection string (database `postgres`, or the one given). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A new cluster on a free port; started unless `start: false`. */
  static async create(opts: PrivatePostgresOptions & { start?: boolean } = {}): Promise<PrivatePostgres> {
    const why = privatePostgresUnavailable();
    if (why) throw new Error(`private Postgres unavailable: ${why}`);
    const template = await templateCluster();
    const dir = mkdtempSync(join(tmpdir(), 'analytics-reliability-pg-'));
    ownByPostgres(dir);
    execFileSync('cp', ['-a', template, join(dir, 'data')]);
    if (PG_USER) execFileSync('chown', ['-R', `${PG_USER.uid}:${PG_USER.gid}`, dir]);
    const server = new PrivatePostgres(dir, await freePort(), { fsync: 'off', full_page_writes: 'off', max_connections: 200, ...opts.settings });
    if (opts.start !== false) await server.start();
    return server;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    const settings = Object.entries({ ...this.settings, listen_addresses: '127.0.0.1', port: this.port, unix_socket_directories: this.dir })
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    tool('pg_ctl', ['-D', this.dataDir, '-o', settings, '-l', this.logFile, '-w', '-t', '120', 'start'], { timeoutMs: 150_000 });
    this.running = true;
    started.add(this);
    await this.waitAnswers();
  }

  /** `pg_ctl stop -m fast` (sessions are terminated, in-flight statements roll back) or `-m immediate` (a crash). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    tool('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { timeoutMs: 90_000, allowFail: true });
    this.running = false;
    started.delete(this);
  }

  async restart(mode: 'fast' | 'immediate' = 'fast', downMs = 0): Promise<void> {
    await this.stop(mode);
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  private async waitAnswers(timeoutMs = 60_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; ; ) {
      const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('select 1');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`private Postgres on ${this.port} does not answer: ${(err as Error).message}\n${this.log()}`);
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => {});
      }
    }
  }

  async query<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Creates a database and returns its connection string. */
  async createDatabase(name: string): Promise<string> {
    await this.query(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  /** The tail of the server log (for failure messages). */
  log(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops the server (immediately) and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
