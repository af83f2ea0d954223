/**
 * Tenancy (issue 7, item 4), against the real gateway (a child process, production mode):
 *  - the schema is walked (introspection of the running gateway, not a hand-written list): every
 *    field reachable from Query and Mutation that takes an id is called by team A with every id team B
 *    has (team, accounts, snapshots, a cursor of B's pages); the answer holds nothing of team B and is
 *    the answer to an id that does not exist;
 *  - every root field, fully selected, answers team A nothing of team B;
 *  - bad tokens — missing, expired, not yet valid, alg none, wrong secret, no teamId, a teamId that
 *    does not exist, and more — get UNAUTHENTICATED and nothing else, on every root field.
 */
import { randomUUID } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery, getNamedType, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKey, signToken } from '../../src/auth/jwt.js';
import { completeDays } from '../../src/metrics/periods.js';
import { backendName, createTestDatabase, type TestDatabase } from '../support/db.js';
import { fieldsWithArguments, selectionFor, type FieldPath } from '../support/reliability-corpus.js';
import { GatewayProcess, RELIABILITY_JWT_SECRET } from '../support/reliability-gateway.js';
import { ReportSection } from '../support/reliability-report.js';
import { seedTeams, withClient, writeDailySnapshots, type SeededTeam } from '../support/reliability-seed.js';

const why = backendName() !== 'postgres' ? 'no Postgres at TEST_DATABASE_URL' : null;
const title = 'tenancy: the schema walked, team A asking with team B’s ids; bad tokens';
const report = new ReportSection('tenancy', 'Tenancy and tokens', 30);

interface Answer {
  status: number;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function ask(gw: GatewayProcess, token: string | null, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Answer> {
  const r = await fetch(gw.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await r.text();
  return { status: r.status, text, body: JSON.parse(text) as Answer['body'] };
}

const codes = (a: Answer) => (a.body.errors ?? []).map((e) => e.extensions?.code ?? '?');

/** The answer with volatile parts (instants, the id asked for) replaced, for comparing two answers. */
function normalised(a: Answer, id: string): string {
  return a.text
    .replaceAll(id, '<id>')
    .replace(/"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"/g, '"<instant>"');
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe.skipIf(why !== null)(why ? `${title} — NOT RUN: ${why} (set REQUIRE_SERVICES=1 to fail instead)` : title, () => {
  let db: TestDatabase;
  let gateway: GatewayProcess | undefined;
  let schema: GraphQLSchema;
  let a: SeededTeam;
  let b: SeededTeam;
  let adminA: string;
  let memberA: string;
  /** Every identifier of team B that could leak: ids, names, phone numbers. */
  let secretsOfB: string[];
  let idsOfB: Array<{ kind: string; id: string }>;
  let snapshotOfA: string;
  let range: { from: string; to: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    a = (await seedTeams(db.url!, { teams: 1, prefix: "Tenant A", days: 12 }))[0]!;
    b = (await seedTeams(db.url!, { teams: 1, prefix: "Tenant B secret", days: 12 }))[0]!;
    await writeDailySnapshots(db.database, [a!, b!], 10);
    const key = secretKey(RELIABILITY_JWT_SECRET);
    adminA = await signToken({ teamId: a!.id, role: 'admin' }, key);
    memberA = await signToken({ teamId: a!.id, role: 'member' }, key);
    const days = completeDays(10, a!.timezone).dates;
    range = { from: days[0]!, to: days.at(-1)! };
    await withClient(db.url!, async (c) => {
      const accounts = (await c.query<{ id: string; phone_number: string; display_name: string | null }>(`SELECT id::text, phone_number, display_name FROM whatsapp_accounts WHERE team_id = $1`, [b!.id])).rows;
      const snaps = (await c.query<{ id: string; date: string }>(`SELECT id::text, date::text FROM analytics_snapshots WHERE team_id = $1 ORDER BY date, id`, [b!.id])).rows;
      snapshotOfA = (await c.query<{ id: string }>(`SELECT id::text FROM analytics_snapshots WHERE team_id = $1 LIMIT 1`, [a!.id])).rows[0]!.id;
      secretsOfB = [b!.id, b!.name, ...accounts.flatMap((x) => [x.id, x.phone_number, ...(x.display_name ? [x.display_name] : [])]), ...snaps.map((s) => s.id)];
      idsOfB = [
        { kind: 'team id', id: b!.id },
        { kind: 'team id (upper case)', id: b!.id.toUpperCase() },
        ...accounts.map((x) => ({ kind: 'account id', id: x.id })),
        { kind: 'account id (upper case)', id: accounts[0]!.id.toUpperCase() },
        { kind: 'snapshot id (team-wide)', id: snaps[0]!.id },
        { kind: 'snapshot id (last)', id: snaps.at(-1)!.id },
        { kind: 'cursor of a page of B', id: Buffer.from(`${snaps[2]!.date}|${snaps[2]!.id}`).toString('base64url') },
      ];
    });
    gateway = await GatewayProcess.start({ env: { DATABASE_URL: db.url! } });
    const r = await ask(gateway, memberA, getIntrospectionQuery());
    schema = buildClientSchema(r.body.data as unknown as IntrospectionQuery);
  }, 300_000);

  afterAll(async ({}, suite) => {
    try {
      await gateway?.stop();
      await db?.drop();
    } finally {
      await report.write(suite);
    }
  });

  /** A valid value for an argument that is not under test (A's own ids). */
  function validArg(path: FieldPath, name: string, typeName: string): unknown {
    if (typeName === 'SnapshotType') return 'Daily';
    if (typeName === 'Date') return name === 'to' ? range.to : name === 'date' ? range.from : range.from;
    if (typeName === 'Int') return name === 'days' ? 7 : 10;
    if (typeName === 'ID') return path.fields.at(-1)!.field.name === 'snapshot' ? snapshotOfA : null;
    if (typeName === 'String') return path.root === 'mutation' ? 'daily-analytics-snapshot' : null;
    return null;
  }

  function call(path: FieldPath, args: Record<string, unknown>): { query: string; variables: Record<string, unknown> } {
    const target = path.fields.at(-1)!.field;
    const decl = target.args.map((x) => `$${x.name}: ${String(x.type)}`);
    let text = `${target.name}(${target.args.map((x) => `${x.name}: $${x.name}`).join(', ')}) ${selectionFor(target.type, 3)}`;
    for (let i = path.fields.length - 2; i >= 0; i--) text = `${path.fields[i]!.field.name} { ${text} }`;
    return { query: `${path.root}(${decl.join(', ')}) { ${text} }`, variables: args };
  }

  it('every field that takes an id, asked by team A with each of team B’s ids: nothing of B, the answer to an id that does not exist', { timeout: 180_000 }, async () => {
    const gw = gateway!;
    const paths = fieldsWithArguments(schema).filter((p) => p.fields.at(-1)!.field.args.some((x) => ['ID', 'String'].includes(getNamedType(x.type).name)));
    const rows: Array<Array<string | number>> = [];
    const leaks: string[] = [];
    const different: string[] = [];
    let requests = 0;
    for (const path of paths) {
      const target = path.fields.at(-1)!.field;
      const label = path.fields.map((f) => f.field.name).join('.');
      for (const arg of target.args.filter((x) => ['ID', 'String'].includes(getNamedType(x.type).name))) {
        // triggerJob(name) takes a job name, not an id of any team.
        if (path.root === 'mutation' && arg.name === 'name') continue;
        const base = Object.fromEntries(target.args.map((x) => [x.name, validArg(path, x.name, getNamedType(x.type).name)]));
        for (const { kind, id } of idsOfB) {
          const foreign = await ask(gw, adminA, call(path, { ...base, [arg.name]: id }).query, { ...base, [arg.name]: id });
          const missingId = kind.startsWith('cursor') ? Buffer.from(`${Buffer.from(id, 'base64url').toString().split('|')[0]}|${randomUUID()}`).toString('base64url') : randomUUID();
          const missing = await ask(gw, adminA, call(path, { ...base, [arg.name]: missingId }).query, { ...base, [arg.name]: missingId });
          requests += 2;
          const found = secretsOfB.filter((s) => foreign.text.toLowerCase().includes(s.toLowerCase()) && !(s.toLowerCase() === id.toLowerCase()));
          // The id asked for may be echoed in a NOT_FOUND message; nothing else of B may appear.
          if (found.length) leaks.push(`${label}(${arg.name}: ${kind}) → ${found.join(', ')} in ${foreign.text.slice(0, 200)}`);
          const dataOfB = JSON.stringify(foreign.body.data ?? null).toLowerCase().includes(id.toLowerCase());
          if (dataOfB && !kind.startsWith('cursor')) leaks.push(`${label}(${arg.name}: ${kind}) → the id comes back in data`);
          const same = kind.startsWith('cursor') || (foreign.status === missing.status && normalised(foreign, id) === normalised(missing, missingId));
          if (!same) different.push(`${label}(${arg.name}: ${kind}): ${foreign.status} ${foreign.text.slice(0, 160)} ≠ ${missing.status} ${missing.text.slice(0, 160)}`);
          rows.push([`${label}(${arg.name})`, kind, foreign.status, codes(foreign).join(',') || (foreign.body.data ? 'data' : '—'), found.length ? 'LEAK' : 'nothing of B', same ? 'same' : 'DIFFERENT']);
        }
      }
    }
    const fieldsWalked = new Set(rows.map((r) => r[0])).size;
    report.headline = `${fieldsWalked} id arguments × ${idsOfB.length} ids of B: ${leaks.length} leaks, ${different.length} answers unlike a missing id`;
    report.set('fields with an id argument found by walking the schema', [...new Set(rows.map((r) => r[0]))].join(', '));
    report.set('requests (B’s id and a missing id each)', requests);
    report.set('leaks of team B', leaks.length);
    report.glance('Cross-team answers leaking or unlike a missing id', leaks.length + different.length);
    report.set('answers different from a non-existent id', different.length);
    report.table('Team A asking with team B’s ids', ['field(argument)', 'B’s id', 'HTTP', 'answer', 'B’s data', 'vs. missing id'], rows);
    expect(fieldsWalked).toBeGreaterThanOrEqual(5);
    expect(leaks).toEqual([]);
    expect(different).toEqual([]);
    // generateSnapshot with B's account ids wrote nothing anywhere.
    const written = await withClient(db.url!, async (c) => (await c.query(`SELECT count(*)::int AS n FROM analytics_snapshots WHERE whatsapp_account_id = ANY($1::uuid[]) AND team_id <> $2`, [b!.accounts, b!.id])).rows[0]!.n as number);
    expect(written).toBe(0);
  });

  it('every root field, fully selected, answers team A nothing of team B', { timeout: 120_000 }, async () => {
    const gw = gateway!;
    const roots = [...Object.values(schema.getQueryType()!.getFields())];
    const rows: Array<Array<string | number>> = [];
    const leaks: string[] = [];
    for (const field of roots) {
      const path: FieldPath = { root: 'query', fields: [{ parent: schema.getQueryType()!, field }] };
      const args = Object.fromEntries(field.args.map((x) => [x.name, validArg(path, x.name, getNamedType(x.type).name)]));
      const { query, variables } = field.args.length ? call(path, args) : { query: `{ ${field.name} ${selectionFor(field.type, 4)} }`, variables: {} };
      const r = await ask(gw, memberA, query, variables);
      const found = secretsOfB.filter((s) => r.text.toLowerCase().includes(s.toLowerCase()));
      if (found.length) leaks.push(`${field.name}: ${found.join(', ')}`);
      const teamIds = [...r.text.matchAll(/"teamId":"([^"]+)"/g)].map((m) => m[1]);
      if (teamIds.some((t) => t !== a!.id)) leaks.push(`${field.name}: teamId of another team`);
      rows.push([field.name, r.status, codes(r).join(',') || 'data', r.text.length, found.length ? 'LEAK' : 'nothing of B']);
      expect(codes(r), `${field.name}: ${r.text.slice(0, 300)}`).toEqual([]);
    }
    report.table('Root fields asked by team A (every scalar down to 4 levels)', ['field', 'HTTP', 'answer', 'bytes', 'B’s data'], rows);
    expect(leaks).toEqual([]);
  });

  it('bad tokens — missing, expired, not yet valid, alg none, wrong secret, no teamId, a teamId that does not exist, … — get UNAUTHENTICATED and nothing else on every root field', { timeout: 120_000 }, async () => {
    const gw = gateway!;
    const key = secretKey(RELIABILITY_JWT_SECRET);
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, opts: { key?: Uint8Array; alg?: string } = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' }).sign(opts.key ?? key);
    const good = { teamId: a!.id, role: 'admin', iat: now, exp: now + 3600 };
    // B's team id in a payload whose signature was made for A's.
    const signed = (await sign(good)).split('.');
    const tampered = `${signed[0]}.${b64({ ...good, teamId: b!.id })}.${signed[2]}`;
    const tokens: Array<[string, string | null, Record<string, string>?]> = [
      ['missing', null],
      ['expired an hour ago', await sign({ ...good, iat: now - 7200, exp: now - 3600 })],
      ['not yet valid (nbf in an hour)', await sign({ ...good, nbf: now + 3600 })],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(good)}.`],
      ['alg none, upper case', `${b64({ alg: 'NONE', typ: 'JWT' })}.${b64(good)}.`],
      ['HS512 with the right secret', await sign(good, { alg: 'HS512' })],
      ['wrong secret', await sign(good, { key: secretKey('another-secret-0123456789-abcdefghijklmnopq') })],
      ['signature of another token', `${(await sign(good)).split('.').slice(0, 2).join('.')}.${(await sign({ ...good, role: 'member' })).split('.')[2]}`],
      ['payload changed after signing (teamId of B)', tampered],
      ['no teamId', await sign({ role: 'admin', iat: now, exp: now + 3600 })],
      ['teamId not a uuid', await sign({ ...good, teamId: "' OR 1=1 --" })],
      ['teamId that does not exist', await sign({ ...good, teamId: randomUUID() })],
      ['no role', await sign({ teamId: a!.id, iat: now, exp: now + 3600 })],
      ['role superadmin', await sign({ ...good, role: 'superadmin' })],
      ['no exp', await sign({ teamId: a!.id, role: 'admin', iat: now })],
      ['garbage', 'not.a.jwt'],
      ['empty bearer', '', { authorization: 'Bearer ' }],
      ['Basic scheme', '', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ];

    const roots = [...Object.values(schema.getQueryType()!.getFields()), ...Object.values(schema.getMutationType()!.getFields())];
    const rows: Array<Array<string | number>> = [];
    const wrong: string[] = [];
    for (const [label, token, headers] of tokens) {
      const outcomes = new Map<string, number>();
      for (const field of roots) {
        const isMutation = Boolean(schema.getMutationType()!.getFields()[field.name]);
        const path: FieldPath = { root: isMutation ? 'mutation' : 'query', fields: [{ parent: isMutation ? schema.getMutationType()! : schema.getQueryType()!, field }] };
        const args = Object.fromEntries(field.args.map((x) => [x.name, validArg(path, x.name, getNamedType(x.type).name)]));
        const { query, variables } = field.args.length ? call(path, args) : { query: `${isMutation ? 'mutation ' : ''}{ ${field.name} ${selectionFor(field.type, 2)} }`, variables: {} };
        const r = await ask(gw, headers ? null : token, query, variables, headers ?? {});
        const cs = codes(r);
        // Nothing else: no value in data (a nullable root field is null next to its error).
        const noData = r.body.data == null || Object.values(r.body.data).every((v) => v === null);
        const onlyUnauthenticated = cs.length > 0 && cs.every((c) => c === 'UNAUTHENTICATED') && noData;
        const key2 = onlyUnauthenticated ? `UNAUTHENTICATED (HTTP ${r.status})` : `${cs.join(',') || 'data'} (HTTP ${r.status})`;
        outcomes.set(key2, (outcomes.get(key2) ?? 0) + 1);
        if (!onlyUnauthenticated) wrong.push(`${label} → ${field.name}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
        if (secretsOfB.some((s) => r.text.includes(s)) || r.text.includes(a!.name)) wrong.push(`${label} → ${field.name}: team data in the answer`);
      }
      rows.push([label, [...outcomes].map(([k, v]) => `${k} × ${v}`).join('; ')]);
    }
    report.table('Bad tokens on every root field (queries and mutations)', ['token', 'answers'], rows);
    report.set('bad tokens tried', tokens.length);
    report.set('root fields per token', roots.length);
    report.set('answers other than UNAUTHENTICATED', wrong.length);
    report.glance(`Bad-token requests answered other than UNAUTHENTICATED (of ${tokens.length * roots.length})`, wrong.length);
    // Sanity: the good token works.
    expect(codes(await ask(gw, adminA, '{ team { id } }'))).toEqual([]);
    expect(wrong.slice(0, 25)).toEqual([]);
  });
});
