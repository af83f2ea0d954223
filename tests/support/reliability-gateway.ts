/**
 * The real gateway as a child process — `node dist/main.js`, exactly what `npm start` runs after its build
 * (the test run's global setup builds dist/ once) —
 * configured by environment, so that its memory is measured alone (/proc/<pid>/status VmRSS), a crash
 * is visible as an exit, and it can be SIGKILLed. Its pino JSON lines (stdout) are parsed and kept;
 * everything else it prints (the banner) is kept as text.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RedisServer, freePort } from './redis-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const RELIABILITY_JWT_SECRET = 'reliability-secret-0123456789-abcdefghijklmnopqrstuv';

export interface LogLine {
  level: number;
  msg: string;
  time?: number;
  [key: string]: unknown;
}

export interface GatewayProcessOptions {
  /** Environment of the gateway (DATABASE_URL, REDIS_URL, …); PORT, HOST, JWT_SECRET are filled in unless given. */
  env: Record<string, string | undefined>;
  /**
   * What start() waits for: GET /ready 200 (default: migrated, Postgres and Redis reachable), GET /health
   * 200 (listening), or nothing.
   */
  waitFor?: 'ready' | 'health' | 'none';
  startTimeoutMs?: number;
}

/** Gateways still running when the test process exits (a crashed worker) are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class GatewayProcess {
  readonly lines: LogLine[] = [];
  stdoutText = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (text.startsWith('{')) {
          try {
            this.lines.push(JSON.parse(text) as LogLine);
            continue;
          } catch {
            /* not a log line */
          }
        }
        if (this.stdoutText.length < 100_000) this.stdoutText += `${text}\n`;
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.stderr.length < 200_000) this.stderr += chunk;
    });
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.exitStatus = { code, signal };
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get graphqlUrl(): string {
    return `${this.url}/graphql`;
  }

  get alive(): boolean {
    return this.exitStatus === null;
  }

  static async start(opts: GatewayProcessOptions): Promise<GatewayProcess> {
    const port = opts.env.PORT ? Number(opts.env.PORT) : await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      JWT_SECRET: RELIABILITY_JWT_SECRET,
      SCHEDULER_ENABLED: 'false',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      ...opts.env,
      PORT: String(port),
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const gw = new GatewayProcess(child, port);
    const waitFor = opts.waitFor ?? 'ready';
    if (waitFor !== 'none') {
      try {
        await gw.waitUntil(waitFor === 'ready' ? '/ready' : '/health', opts.startTimeoutMs ?? 90_000);
      } catch (err) {
        await gw.kill();
        throw err;
      }
    }
    return gw;
  }

  /** Resolves once GET `path` (/health, /ready) answers 200; rejects if the process exits first. */
  async waitUntil(path: '/health' | '/ready', timeoutMs = 90_000): Promise<void> {
    let last = '';
    for (const deadline = Date.now() + timeoutMs; ; ) {
      if (!this.alive) throw new Error(`gateway exited (${JSON.stringify(this.exitStatus)}) before ${path} answered 200:\n${this.describe()}`);
      try {
        const r = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(3000) });
        if (r.ok) return;
        last = `${r.status} ${await r.text()}`;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`gateway: ${path} not 200 within ${timeoutMs} ms (last: ${last}):\n${this.describe()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Resident set size in MB (VmRSS), or null once the process is gone. */
  rssMB(): number | null {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  }

  /** Log lines at ERROR or above (pino level ≥ 50). */
  errors(): LogLine[] {
    return this.lines.filter((l) => l.level >= 50);
  }

  /** Output for failure messages: banner, last log lines, stderr. */
  describe(): string {
    const last = this.lines.slice(-15).map((l) => JSON.stringify(l).slice(0, 600));
    return `--- stdout ---\n${this.stdoutText.slice(-3000)}\n--- last log lines ---\n${last.join('\n')}\n--- stderr ---\n${this.stderr.slice(-4000)}`;
  }

  /** SIGTERM (graceful), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.alive) return this.exitStatus!;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A private redis-server (tests/support/redis-server.ts) that is killed with the test process if a test never stops it. */
export async function startPrivateRedis(): Promise<RedisServer> {
  const server = await RedisServer.start();
  process.once('exit', () => (server as unknown as { child: ChildProcess | null }).child?.kill('SIGKILL'));
  return server;
}

/** GET a JSON endpoint (/ready, /health) with a timeout; never throws (status 0 = no answer). */
export async function getJson(url: string, timeoutMs = 5000): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: r.status, body, ms: Date.now() - started };
  } catch (err) {
    return { status: 0, body: (err as Error).message, ms: Date.now() - started };
  }
}
