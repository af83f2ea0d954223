/**
 * The load runner of the reliability suite: autocannon (loopback only, bounded in time) posting a
 * weighted mix of GraphQL operations — the typed documents of tests/api/operations — for many teams,
 * each with its own token. Every response body is checked: a 200 that carries `errors` counts as an
 * error just like a 5xx or a dropped connection.
 */
import { createRequire } from 'node:module';
import { print, type DocumentNode } from 'graphql';
import { DashboardDocument, RealTimeMetricsDocument, SnapshotsDocument } from '../api/generated/graphql.js';
import type { TeamToken } from './reliability-seed.js';

interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9?: number;
  total?: number;
}

interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  throughput: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  mismatches: number;
  duration: number;
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

interface Tracker extends Promise<AutocannonResult> {
  on(event: 'tick', fn: (t: { counter: number; bytes: number }) => void): void;
  on(event: 'reqError', fn: (err: Error) => void): void;
  stop(): void;
}

type Autocannon = (opts: Record<string, unknown>) => Tracker;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** One kind of request of the mix. */
export interface MixEntry {
  kind: string;
  weight: number;
  /** The JSON body for a team (variables may depend on the team, e.g. one of its account ids). */
  body(team: TeamToken, rnd: () => number): string;
}

const REALTIME = print(RealTimeMetricsDocument as unknown as DocumentNode);
const DASHBOARD = print(DashboardDocument as unknown as DocumentNode);
const SNAPSHOTS = print(SnapshotsDocument as unknown as DocumentNode);

const pickAccount = (t: TeamToken, rnd: () => number): string | null =>
  rnd() < 0.5 || !t.team.accounts.length ? null : t.team.accounts[Math.floor(rnd() * t.team.accounts.length)]!;

/** The mix: 70 % realTimeMetrics, 25 % dashboard, 5 % snapshots; half of them for one account. */
export function pollingMix(opts: { snapshotFrom: string; snapshotTo: string }): MixEntry[] {
  return [
    {
      kind: 'realTimeMetrics',
      weight: 70,
      body: (t, rnd) => JSON.stringify({ query: REALTIME, variables: { whatsappAccountId: pickAccount(t, rnd) } }),
    },
    {
      kind: 'dashboard',
      weight: 25,
      body: (t, rnd) => JSON.stringify({ query: DASHBOARD, variables: { days: rnd() < 0.7 ? 30 : 7, whatsappAccountId: pickAccount(t, rnd) } }),
    },
    {
      kind: 'snapshots',
      weight: 5,
      body: (t, rnd) =>
        JSON.stringify({ query: SNAPSHOTS, variables: { type: 'Daily', from: opts.snapshotFrom, to: opts.snapshotTo, whatsappAccountId: pickAccount(t, rnd), first: 50 } }),
    },
  ];
}

export interface LoadOptions {
  url: string;
  teams: TeamToken[];
  mix: MixEntry[];
  connections: number;
  durationSeconds: number;
  /** A request not answered within this is a timeout (an error). Default 10 s. */
  timeoutSeconds?: number;
  /** Called every second with the responses of that second. */
  onTick?: (second: number, responses: number) => void;
  seed?: number;
}

export interface LoadResult {
  requests: number;
  /** Responses that were a 2xx with data and no `errors`. */
  ok: number;
  byKind: Record<string, { sent: number; ok: number; failed: number }>;
  /** Connection errors and timeouts (autocannon). */
  connectionErrors: number;
  timeouts: number;
  non2xx: number;
  status5xx: number;
  /** 2xx responses whose body carried GraphQL `errors` (or no data). */
  graphqlErrors: number;
  /** First few failures, for messages. */
  samples: string[];
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  rps: number;
  durationSeconds: number;
  statusCodes: Record<string, number>;
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the load for `durationSeconds` and returns the figures (it never throws on failed requests). */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const rnd = prng(opts.seed ?? 7);
  const total = opts.mix.reduce((n, m) => n + m.weight, 0);
  const byKind: LoadResult['byKind'] = Object.fromEntries(opts.mix.map((m) => [m.kind, { sent: 0, ok: 0, failed: 0 }]));
  const samples: string[] = [];
  let ok = 0;
  let graphqlErrors = 0;
  const sample = (s: string) => samples.length < 10 && samples.push(s.slice(0, 500));

  const pick = (): MixEntry => {
    let r = rnd() * total;
    for (const m of opts.mix) if ((r -= m.weight) < 0) return m;
    return opts.mix[opts.mix.length - 1]!;
  };

  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationSeconds,
    timeout: opts.timeoutSeconds ?? 10,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
          const team = opts.teams[Math.floor(rnd() * opts.teams.length)]!;
          const entry = pick();
          context.kind = entry.kind;
          context.team = team.team.id;
          byKind[entry.kind]!.sent++;
          return {
            ...req,
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${team.token}` },
            body: entry.body(team, rnd),
          };
        },
        onResponse: (status: number, body: string, context: Record<string, unknown>) => {
          const kind = byKind[context.kind as string];
          const good = status >= 200 && status < 300 && body.startsWith('{"data":') && !body.includes('"errors":');
          if (good) {
            ok++;
            if (kind) kind.ok++;
            return;
          }
          if (kind) kind.failed++;
          if (status >= 200 && status < 300) graphqlErrors++;
          sample(`${context.kind} team ${context.team}: HTTP ${status} ${body}`);
        },
      },
    ],
  });
  let second = 0;
  instance.on('tick', (t) => opts.onTick?.(++second, t.counter));
  instance.on('reqError', (err) => sample(`request error: ${err.message}`));
  const r = await instance;
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  return {
    requests: r.requests.total,
    ok,
    byKind,
    connectionErrors: r.errors - r.timeouts,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    status5xx: r['5xx'],
    graphqlErrors,
    samples,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean ?? r.latency.average },
    rps: Math.round(r.requests.average),
    durationSeconds: r.duration,
    statusCodes,
  };
}

/** Samples a number (e.g. RSS) every `everyMs` until stopped. */
export function sampler(read: () => number | null, everyMs = 1000): { values: Array<{ t: number; v: number }>; stop(): void } {
  const values: Array<{ t: number; v: number }> = [];
  const started = Date.now();
  const take = () => {
    const v = read();
    if (v !== null) values.push({ t: (Date.now() - started) / 1000, v });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    values,
    stop() {
      clearInterval(timer);
      take();
    },
  };
}
