import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARMOR_LIMITS } from '../../src/graphql/armor.js';
import { createGateway, type Gateway } from '../../src/http/server.js';
import { Fixtures, type Team } from '../support/fixtures.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { codes, gql } from './client.js';
import { AnalyticsHealthDocument, TeamDocument } from './generated/graphql.js';

let gw: TestGateway;
let team: Team;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ maxBodyBytes: 16_384 });
  team = await new Fixtures(gw.database).team();
  token = await gw.tokenFor(team.id, 'member');
});
afterAll(() => gw?.close());

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(gw.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body });

describe('query limits (graphql-armor)', () => {
  it('rejects too deep, too many aliases, too many tokens, too costly — with a 4xx and what the limit is', async () => {
    const deep = `{ team { whatsappAccounts { snapshots(type: Daily, from: "2026-01-01", to: "2026-01-02") { metrics { messages { total } } } } } }`;
    expect(codes(await gql(gw.graphqlUrl, deep, undefined, { token }))).toEqual([]); // 6 levels: the deepest real query
    const tooDeep = `{ ${'__type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }'} }`;
    const aliases = `{ ${Array.from({ length: ARMOR_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: team { id }`).join(' ')} }`;
    const tokens = `{ team { ${Array.from({ length: ARMOR_LIMITS.maxTokens }, () => 'id').join(' ')} } }`;
    const dashboard = `dashboard(days: 365) { current { ...M } previous { ...M } series { metrics { ...M } } }`;
    const metrics = 'fragment M on AnalyticsMetrics { messages { total sent delivered read failed replied deliveryRate readRate } contacts { total new active blocked } conversations { total open closed } }';
    const costly = `{ ${Array.from({ length: 10 }, (_, i) => `d${i}: ${dashboard}`).join(' ')} } ${metrics}`;
    for (const [name, query, pattern] of [
      ['depth', tooDeep, /depth limit of 8/i],
      ['aliases', aliases, /aliases limit of 15/i],
      ['tokens', tokens, /contains more th(an|at) 2000 tokens/i], // graphql-js spells it 'more that'
      ['cost', costly, /cost limit of 3000/i],
    ] as const) {
      const r = await gql(gw.graphqlUrl, query, undefined, { token });
      expect(r.status, name).toBe(400);
      expect(r.errors?.[0]?.message, name).toMatch(pattern);
      expect(r.data ?? null, name).toBeNull();
    }
  });
});

describe('malformed requests get a 4xx, never a 5xx', () => {
  it('body over the limit: 413', async () => {
    const big = JSON.stringify({ query: `{ team { id } }`, variables: { pad: 'x'.repeat(20_000) } });
    const r = await post(big);
    expect(r.status).toBe(413);
    expect(((await r.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('malformed JSON, empty body, a batch, no query, wrong content type, unknown route and method', async () => {
    const cases: Array<[string, Promise<Response>, number]> = [
      ['malformed JSON', post('{"query": "{ team { id } }"'), 400],
      ['empty body', post(''), 400],
      ['batch', post(JSON.stringify([{ query: '{ team { id } }' }])), 400],
      ['no query', post(JSON.stringify({ variables: {} })), 400],
      ['syntax error', post(JSON.stringify({ query: '{ team { id ' })), 400],
      ['text/plain (CSRF)', post('{ team { id } }', { 'content-type': 'text/plain' }), 400],
      ['unknown route', fetch(`${gw.url}/nope`), 404],
      ['PUT', fetch(gw.graphqlUrl, { method: 'PUT', body: '{}' }), 405],
    ];
    for (const [name, pending, status] of cases) {
      const r = await pending;
      expect(r.status, name).toBe(status);
      const text = await r.text();
      expect(text, name).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
    }
    const r = await post(JSON.stringify({ query: '{ team { id } }' }));
    expect(r.status).toBe(200); // the server is still fine
  });
});

describe('production masking', () => {
  let prod: Gateway;
  let url: string;
  beforeAll(async () => {
    const failingJobs = {
      trigger: async () => { throw new Error('relation "job_runs" does not exist: SELECT * FROM job_runs WHERE password = 42'); },
      recentRuns: async () => { throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (SELECT * FROM job_runs)'); },
    };
    prod = await createGateway({
      config: { production: true, env: 'production', jwtSecret: TEST_JWT_SECRET, maxBodyBytes: 4096, host: '127.0.0.1', port: 0 },
      logger: (await import('pino')).pino({ level: 'silent' }),
      database: gw.database,
      cache: gw.app.cache,
      metrics: gw.app.metrics,
      jobs: failingJobs,
      snapshotWriter: gw.app.snapshots,
      demoToken: 'must-not-appear',
      services: { ...gw.app.services, jobs: failingJobs },
    });
    url = `${await prod.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(() => prod?.close());

  it('unknown errors: "Internal server error", no SQL, no host, no stack trace', async () => {
    const r = await gql(url, AnalyticsHealthDocument, {}, { token });
    expect(codes(r)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(r.errors![0]!.message).toBe('Internal server error');
    expect(r.text).not.toMatch(/SELECT|ECONNREFUSED|10\.0\.0\.5|stacktrace|\.ts:/);
  });

  it('known errors keep their message; the explorer carries no demo token', async () => {
    expect(codes(await gql(url, TeamDocument, {}, {}))).toEqual(['UNAUTHENTICATED']);
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('must-not-appear');
  });
});
