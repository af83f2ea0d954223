/**
 * The hostile-input corpus of the reliability suite, generated (deterministically, from a seed) from
 * the gateway's own schema rather than written by hand:
 *
 *  - every argument of every field reachable from Query and Mutation (found by walking the schema)
 *    gets every hostile string (SQL-looking, unicode, control characters, huge), every hostile date
 *    and every wrong type, both as a variable and as a literal in the query text;
 *  - malformed JSON (structured cases and random mutations of valid bodies), oversized bodies,
 *    deeply nested and alias-bombed queries, fragment bombs, huge variable lists, odd HTTP (methods,
 *    paths, content types, headers) and raw malformed HTTP on a socket.
 *
 * The corpus never contains a request that may legitimately write: mutations go with a member token
 * (FORBIDDEN), or with an admin token and an argument that cannot match anything of the team (a
 * random account id, a job name that is not one), so the database must be exactly as before.
 */
import http from 'node:http';
import net from 'node:net';
import {
  getNamedType,
  isEnumType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { prng } from './reliability-load.js';

export interface HostileRequest {
  category: string;
  label: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send these bytes on a raw socket instead of an HTTP request. */
  raw?: Buffer;
  /** The server may close the connection without answering (raw garbage, bodies cut short). */
  mayClose?: boolean;
}

export interface CorpusContext {
  schema: GraphQLSchema;
  adminToken: string;
  memberToken: string;
  /** Ids of the caller's team (valid values for arguments that are not under test). */
  accountId: string;
  snapshotId: string;
  from: string;
  to: string;
  maxBodyBytes: number;
  seed: number;
  /** 1 in CI; the soak multiplies the random parts. */
  scale: number;
}

// ── Hostile values ────────────────────────────────────────────────────────────

const long = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);

/** A version-4 UUID from the corpus's PRNG (the corpus is the same for the same seed). */
function uuidFrom(rnd: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Strings for every String / ID / Date argument. */
export function hostileStrings(rnd: () => number = () => 0.5): string[] {
  const randomUUID = () => uuidFrom(rnd);
  return [
    '',
    ' ',
    "'",
    '"',
    '\\',
    "' OR '1'='1",
    "' OR 1=1 --",
    '1; DROP TABLE teams; --',
    "'; DELETE FROM analytics_snapshots; --",
    "00000000-0000-0000-0000-000000000000' OR ''='",
    "' UNION SELECT id, name, timezone, created_at FROM teams --",
    '1 AND pg_sleep(10)',
    "'; SELECT pg_sleep(10); --",
    "$$; DROP TABLE job_runs; $$",
    'E\'\\x27\'',
    "%' OR team_id IS NOT NULL --",
    '${7*7}',
    '{{7*7}}',
    '#{7*7}',
    '%s%s%s%s%n',
    '%00',
    '../../../../etc/passwd',
    '..\\..\\..\\windows\\win.ini',
    '<script>alert(1)</script>',
    'javascript:alert(1)',
    '__proto__',
    'constructor',
    '{"$ne": null}',
    'null',
    'undefined',
    'NaN',
    'true',
    '-1',
    '0',
    '1e308',
    '0x7fffffff',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    randomUUID().toUpperCase(),
    ` ${randomUUID()} `,
    `${randomUUID()}\n`,
    `${randomUUID()}\u0000`,
    `{${randomUUID()}}`,
    randomUUID().replace(/-/g, ''),
    '١١١١١١١١-١١١١-٤١١١-٨١١١-١١١١١١١١١١١١', // Arabic-Indic digits: looks like a uuid
    '１１１１１１１１-１１１１-４１１１-８１１１-１１１１１１１１１１１１', // full-width digits
    '\u0000',
    'a\u0000b',
    '\u0007\u0008\u001b[31mred',
    '\r\nSet-Cookie: x=1',
    '\u202eevil\u202c',
    '\u200b\u200c\u200d\ufeff',
    'e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301',
    long('\u0301', 2000),
    '𝕏𝕐ℤ 🧨👩‍👩‍👧‍👦🏳️‍🌈',
    '\ud83d', // lone high surrogate
    '\udc00', // lone low surrogate
    'Ω≈ç√∫˜µ≤≥÷',
    'ЁЖЗИЙ 漢字 かな العربية עברית',
    'İ', // changes length when lower-cased
    'ß',
    long('A', 10_000),
    long("' OR 1=1 -- ", 5_000),
    long('𝕏', 5_000),
    'Daily',
    'daily-analytics-snapshot ',
    ' daily-analytics-snapshot',
    'DAILY-ANALYTICS-SNAPSHOT',
    'daily-analytics-snapshot\u0000',
    'daily‐analytics‐snapshot', // unicode hyphens
    Buffer.from('2026-01-01|00000000-0000-4000-8000-000000000000').toString('base64url'),
    Buffer.from(`2026-01-01|${randomUUID()}|x`).toString('base64url'),
    Buffer.from("2026-01-01|' OR 1=1 --").toString('base64url'),
    Buffer.from('9999-99-99|00000000-0000-4000-8000-000000000000').toString('base64url'),
    '====',
    '!!!notbase64!!!',
  ];
}

/** Values for every Date argument (on top of the hostile strings). */
export function hostileDates(): string[] {
  return [
    '2026-02-30',
    '2026-02-29',
    '2024-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-32',
    '+275760-09-13',
    '-271821-04-20',
    '+002026-01-01',
    '-000001-01-01',
    '0000-01-01',
    '0001-01-01',
    '1969-12-31',
    '1970-01-01',
    '2038-01-19',
    '9999-12-31',
    '10000-01-01',
    '2026-1-1',
    '26-01-01',
    '2026/01/01',
    '01-01-2026',
    '20260101',
    '2026-01-01T00:00:00Z',
    '2026-01-01T25:00:00',
    '2026-01-01 ',
    ' 2026-01-01',
    '2026-01-01\n',
    '２０２６-０１-０１',
    '2026-W01',
    '2026-001',
    'today',
    'now()',
    "2026-01-01'::date OR 1=1 --",
  ];
}

/** Wrong JSON types for an argument of `type`. */
function wrongTypes(type: GraphQLInputType): unknown[] {
  const named = getNamedType(type);
  const common: unknown[] = [null, true, false, [], {}, [null], { a: 1 }, ['Daily'], [[[]]]];
  if (isScalarType(named) && named.name === 'Int') return [...common, '7', 7.5, -1, 0, 2147483648, -2147483649, 9007199254740993, 1e308, -0, 'NaN', ''];
  if (isScalarType(named) && named.name === 'ID') return [...common, 1.5, -1, 1e308, 12345678901234567890];
  if (isEnumType(named)) return [...common, 'daily', 'DAILY', 'Daily ', ' Daily', 'Hourly', 0, 1, '__proto__', 'constructor'];
  return [...common, 1, 0, -1, 1.5, 1e308, 20260101];
}

// ── Schema walk ───────────────────────────────────────────────────────────────

export interface FieldPath {
  /** Query or Mutation. */
  root: 'query' | 'mutation';
  /** Fields from the root to the target (inclusive); all but the target take no required argument. */
  fields: Array<{ parent: GraphQLObjectType; field: GraphQLField<unknown, unknown> }>;
}

/** Every field that takes arguments, reachable from Query and Mutation, with a path to it. */
export function fieldsWithArguments(schema: GraphQLSchema): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [root, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    if (!type) continue;
    const seen = new Set<string>();
    const queue: Array<FieldPath['fields']> = Object.values(type.getFields()).map((field) => [{ parent: type, field }]);
    while (queue.length) {
      const path = queue.shift()!;
      const { parent, field } = path[path.length - 1]!;
      const key = `${parent.name}.${field.name}`;
      if (seen.has(key) || field.name.startsWith('__')) continue;
      seen.add(key);
      if (field.args.length) out.push({ root, fields: path });
      if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
      const next = getNamedType(field.type);
      if (isObjectType(next)) for (const f of Object.values(next.getFields())) queue.push([...path, { parent: next, field: f }]);
    }
  }
  return out;
}

/** A selection of the scalar fields of `type`, and of its objects' scalar fields down to `depth`. */
export function selectionFor(type: GraphQLOutputType, depth = 2): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const parts: string[] = ['__typename'];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const inner = getNamedType(f.type);
    if (isScalarType(inner) || isEnumType(inner)) parts.push(f.name);
    else if (depth > 0 && isObjectType(inner)) parts.push(`${f.name} ${selectionFor(f.type, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

function typeRef(type: GraphQLInputType): string {
  return String(type);
}

/** A GraphQL literal of a JSON value (strings escaped as JSON, which GraphQL string syntax accepts). */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : '_bad'}: ${literal(v)}`).join(', ')}}`;
}

/** A valid value for an argument that is not under test (none of them may make a mutation write). */
function validValue(ctx: CorpusContext, path: FieldPath, arg: GraphQLArgument, rnd: () => number): unknown {
  const target = path.fields[path.fields.length - 1]!.field.name;
  const named = getNamedType(arg.type);
  if (isEnumType(named)) return named.getValues()[0]!.value;
  if (named.name === 'Date') return arg.name === 'to' ? ctx.to : ctx.from;
  if (named.name === 'Int') return arg.name === 'days' ? 7 : arg.name === 'first' ? 10 : 5;
  if (path.root === 'mutation') {
    // Never a value that lets a mutation write: an account id of no one, a job that does not exist.
    if (arg.name === 'whatsappAccountId') return uuidFrom(rnd);
    if (arg.name === 'name') return 'no-such-job';
  }
  if (named.name === 'ID') return arg.name === 'id' || target === 'snapshot' ? ctx.snapshotId : ctx.accountId;
  if (!isNonNullType(arg.type)) return null;
  return 'x';
}

/** The operation text of a path, with every argument of the target either a variable or a literal. */
function operation(path: FieldPath, args: Array<{ arg: GraphQLArgument; literal?: string }>): string {
  const vars = args.filter((a) => a.literal === undefined).map((a) => `$${a.arg.name}: ${typeRef(a.arg.type)}`);
  const target = path.fields[path.fields.length - 1]!.field;
  const call = `${target.name}(${args.map((a) => `${a.arg.name}: ${a.literal ?? `$${a.arg.name}`}`).join(', ')}) ${selectionFor(target.type)}`;
  let text = call;
  for (let i = path.fields.length - 2; i >= 0; i--) text = `${path.fields[i]!.field.name} { ${text} }`;
  return `${path.root}${vars.length ? `(${vars.join(', ')})` : ''} { ${text} }`;
}

const json = (o: unknown) => JSON.stringify(o);

// ── The corpus ────────────────────────────────────────────────────────────────

export function generateCorpus(ctx: CorpusContext): HostileRequest[] {
  const rnd = prng(ctx.seed);
  const out: HostileRequest[] = [];
  const auth = (token = ctx.adminToken) => ({ authorization: `Bearer ${token}` });
  const post = (category: string, label: string, body: string | Buffer, headers: Record<string, string> = {}, extra: Partial<HostileRequest> = {}) =>
    out.push({ category, label, method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...auth(), ...headers }, body, ...extra });

  const paths = fieldsWithArguments(ctx.schema);
  const strings = hostileStrings(rnd);
  const tokenFor = (p: FieldPath) => (p.root === 'mutation' && rnd() < 0.5 ? ctx.memberToken : ctx.adminToken);

  // 1. Every argument × hostile strings / dates / wrong types, as a variable and as a literal.
  for (const path of paths) {
    const target = path.fields[path.fields.length - 1]!.field;
    const name = `${path.fields.map((f) => f.field.name).join('.')}`;
    for (const arg of target.args) {
      const named = getNamedType(arg.type);
      const stringy = isScalarType(named) && ['String', 'ID', 'Date'].includes(named.name);
      const values: Array<{ kind: string; v: unknown }> = [];
      if (stringy) values.push(...strings.map((v) => ({ kind: 'string', v })));
      if (named.name === 'Date') values.push(...hostileDates().map((v) => ({ kind: 'date', v })));
      values.push(...wrongTypes(arg.type).map((v) => ({ kind: 'type', v })));
      // A mutation must not be able to succeed: null is a valid value of its nullable arguments
      // (generateSnapshot(whatsappAccountId: null) writes the team-wide snapshot).
      if (path.root === 'mutation' && !isNonNullType(arg.type)) values.splice(0, values.length, ...values.filter((x) => x.v !== null));
      for (const { kind, v } of values) {
        const others = target.args.filter((a) => a !== arg);
        const variables: Record<string, unknown> = { [arg.name]: v };
        for (const o of others) variables[o.name] = validValue(ctx, path, o, rnd);
        const token = tokenFor(path);
        post(`argument ${kind}`, `${name}(${arg.name}) as variable: ${json(v).slice(0, 60)}`, json({ query: operation(path, target.args.map((a) => ({ arg: a }))), variables }), auth(token));
        post(
          `argument ${kind}`,
          `${name}(${arg.name}) as literal: ${json(v).slice(0, 60)}`,
          json({ query: operation(path, target.args.map((a) => (a === arg ? { arg: a, literal: literal(v) } : { arg: a }))), variables: Object.fromEntries(others.map((o) => [o.name, variables[o.name]])) }),
          auth(token),
        );
      }
      // Raw, unescaped control characters and broken escapes inside a string literal.
      if (stringy) {
        for (const bad of ['"\u0000"', '"\n"', '"\\x41"', '"\\u00"', '"\\uD800"', '"""unterminated', '"\\"', '""""""', '"""\\"""\u0000"""']) {
          post('argument literal syntax', `${name}(${arg.name}) literal ${json(bad)}`, json({ query: operation(path, target.args.map((a) => (a === arg ? { arg: a, literal: bad } : { arg: a }))), variables: Object.fromEntries(target.args.filter((a) => a !== arg).map((o) => [o.name, validValue(ctx, path, o, rnd)])) }));
        }
      }
    }
    // Missing required variables, undeclared variables, variables of the wrong declared type.
    const required = target.args.filter((a) => isNonNullType(a.type));
    if (required.length) post('variables', `${name}: required variables missing`, json({ query: operation(path, target.args.map((a) => ({ arg: a }))), variables: {} }));
    post('variables', `${name}: undeclared variable`, json({ query: operation(path, target.args.map((a) => ({ arg: a, literal: '$undeclared' }))) }));
    post(
      'variables',
      `${name}: variables declared with another type`,
      json({ query: operation(path, target.args.map((a) => ({ arg: a }))).replace(/: (\w+)(!?)/g, ': [String]$2'), variables: {} }),
    );
  }

  // 2. Dates in ranges: every pair of a few hostile dates for from/to.
  const pairDates = ['2026-02-30', '+275760-09-13', '0001-01-01', '9999-12-31', '1970-01-01', '2026-01-01', '2025-01-01', '2027-12-31'];
  for (const type of ['Daily', 'Weekly', 'Monthly']) {
    for (const from of pairDates) {
      for (const to of pairDates) {
        post('date ranges', `snapshots(${type}, ${from}..${to})`, json({ query: 'query($t: SnapshotType!, $f: Date!, $to: Date!) { snapshots(type: $t, from: $f, to: $to) { totalCount nodes { id date } } }', variables: { t: type, f: from, to } }));
      }
    }
  }
  for (const days of [0, 1, 365, 366, -1, 2147483647, 99999]) {
    post('date ranges', `dashboard(days: ${days})`, json({ query: `{ dashboard(days: ${days}) { days current { period { start end } } } }` }));
  }

  // 3. Malformed JSON: structured cases.
  const valid = json({ query: '{ realTimeMetrics { messages { total } } }' });
  const malformed: Array<[string, string | Buffer]> = [
    ['empty', ''],
    ['whitespace', ' \n\t '],
    ['null', 'null'],
    ['true', 'true'],
    ['number', '42'],
    ['string', '"{ team { id } }"'],
    ['array', '[]'],
    ['batch', `[${valid},${valid}]`],
    ['BOM', `\ufeff${valid}`],
    ['trailing comma', valid.replace(/}$/, ',}')],
    ['single quotes', valid.replace(/"/g, "'")],
    ['comment', `/* hi */${valid}`],
    ['NaN', '{"query": NaN}'],
    ['Infinity', '{"query": "{ dashboard(days: 7) { days } }", "variables": {"x": Infinity}}'],
    ['unquoted key', '{query: "{ team { id } }"}'],
    ['duplicate keys', '{"query": "{ team { id } }", "query": {"a": 1}}'],
    ['query number', '{"query": 1}'],
    ['query object', '{"query": {"kind": "Document", "definitions": []}}'],
    ['query array', '{"query": ["{ team { id } }"]}'],
    ['query null', '{"query": null}'],
    ['no query', '{"variables": {}}'],
    ['variables string', '{"query": "{ team { id } }", "variables": "{}"}'],
    ['variables array', '{"query": "{ team { id } }", "variables": [1, 2]}'],
    ['variables number', '{"query": "{ team { id } }", "variables": 5}'],
    ['operationName object', '{"query": "{ team { id } }", "operationName": {"x": 1}}'],
    ['operationName missing op', '{"query": "query A { team { id } } query B { team { id } }", "operationName": "C"}'],
    ['two operations no name', '{"query": "query A { team { id } } query B { team { id } }"}'],
    ['extensions junk', '{"query": "{ team { id } }", "extensions": "junk"}'],
    ['persisted query unknown', `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "${'0'.repeat(64)}"}}}`],
    ['persisted query wrong hash', `{"query": "{ team { id } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "${'f'.repeat(64)}"}}}`],
    ['persisted query version 2', '{"query": "{ team { id } }", "extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}}'],
    ['__proto__ variables', '{"query": "query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { generatedAt } }", "variables": {"__proto__": {"a": "x"}}}'],
    ['constructor key', '{"query": "{ team { id } }", "constructor": {"prototype": {"polluted": true}}}'],
    ['deep array 5000', `{"query": "{ team { id } }", "variables": {"a": ${'['.repeat(5000)}${']'.repeat(5000)}}}`],
    ['deep object 5000', `{"query": "{ team { id } }", "variables": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`],
    ['unclosed deep array', `{"query": ${'['.repeat(20_000)}`],
    ['huge number', '{"query": "{ team { id } }", "variables": {"n": 1e999999}}'],
    ['invalid utf-8', Buffer.concat([Buffer.from('{"query": "{ team { id '), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe]), Buffer.from(' } }"}')])],
    ['overlong utf-8', Buffer.concat([Buffer.from('{"query": "'), Buffer.from([0xc0, 0xaf, 0xe0, 0x80, 0xaf]), Buffer.from('"}')])],
    ['utf-16', Buffer.from(valid, 'utf16le')],
    ['nul bytes', `${valid}\u0000\u0000`],
    ['lone surrogate escape', '{"query": "{ team { id } }\\ud800"}'],
    ['binary', Buffer.from(Array.from({ length: 2048 }, () => Math.floor(rnd() * 256)))],
  ];
  for (const [label, body] of malformed) post('malformed JSON', label, body);
  for (const ct of ['text/plain', 'application/graphql', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=latin1', '', 'application/json, text/plain', 'APPLICATION/JSON', 'application/jsonx']) {
    post('content types', `content-type ${json(ct)}`, valid, { 'content-type': ct });
  }
  post('content types', 'content-encoding gzip (not compressed)', valid, { 'content-encoding': 'gzip' });
  post('content types', 'content-encoding br', Buffer.from([0x1b, 0x2f, 0x00, 0x00]), { 'content-encoding': 'br' });

  // 4. Random mutations of valid bodies (byte-level fuzz).
  const seeds = [
    valid,
    json({ query: 'query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { messages { total } } }', variables: { a: ctx.accountId } }),
    json({ query: 'query($d: Int!) { dashboard(days: $d) { days current { messages { total } } growth { messages { total } } } }', variables: { d: 30 } }),
    json({ query: 'query($t: SnapshotType!, $f: Date!, $to: Date!) { snapshots(type: $t, from: $f, to: $to, first: 5) { totalCount nodes { id } pageInfo { endCursor } } }', variables: { t: 'Daily', f: ctx.from, to: ctx.to } }),
  ];
  const alphabet = '{}[]":,\\$@!()#.\u0000\u00ff\ud83d\ude00 abc019-_\n';
  for (let i = 0; i < 400 * ctx.scale; i++) {
    let s = seeds[Math.floor(rnd() * seeds.length)]!;
    const edits = 1 + Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (s.length + 1));
      const op = rnd();
      if (op < 0.3) s = s.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + s.slice(at);
      else if (op < 0.55) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 5));
      else if (op < 0.75) s = s.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + s.slice(at + 1);
      else if (op < 0.9) s = s.slice(0, at);
      else s = s.slice(0, at) + s.slice(Math.max(0, at - 20), at).repeat(1 + Math.floor(rnd() * 50)) + s.slice(at);
    }
    post('fuzzed bodies', `mutation #${i}`, s);
  }

  // 5. Oversized bodies.
  const limit = ctx.maxBodyBytes;
  for (const factor of [1.0001, 1.5, 10]) {
    const size = Math.ceil(limit * factor) + 1;
    post('oversized', `query of ${size} bytes`, json({ query: `{ team { id } }${' '.repeat(size)}` }), {}, { mayClose: true });
    post('oversized', `variable of ${size} bytes`, json({ query: '{ team { id } }', variables: { a: long('𝕏', size) } }), {}, { mayClose: true });
  }
  out.push({ category: 'oversized', label: `chunked body of ${limit * 5} bytes (no content-length)`, method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...auth(), 'transfer-encoding': 'chunked' }, body: Buffer.alloc(limit * 5, 0x20), mayClose: true });
  post('oversized', 'just under the limit: whitespace', json({ query: `{ team { id } }${' '.repeat(limit - 40)}` }));
  post('oversized', 'just under the limit: 2000 tokens of fields', json({ query: `{ ${'team { id } '.repeat(2000)} }` }));
  post('oversized', 'many small variables (8000 keys)', json({ query: '{ team { id } }', variables: Object.fromEntries(Array.from({ length: 8000 }, (_, i) => [`v${i}`, i])) }));
  out.push({ category: 'oversized', label: 'header of 64 KB', method: 'GET', path: '/graphql?query=%7Bteam%7Bid%7D%7D', headers: { ...auth(), 'x-big': long('a', 65_536) }, mayClose: true });
  out.push({ category: 'oversized', label: 'URL of 100 KB', method: 'GET', path: `/graphql?query=${encodeURIComponent(`{ team { id } }${' '.repeat(100_000)}`)}`, headers: auth(), mayClose: true });
  out.push({ category: 'oversized', label: '500 headers', method: 'GET', path: '/health', headers: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-h${i}`, 'v'])), mayClose: true });

  // 6. Deep nesting, alias bombs, fragment bombs, directive bombs, field repetition.
  const q = (label: string, query: string, variables?: unknown) => post('query shape', label, json({ query, ...(variables ? { variables } : {}) }));
  for (const n of [10, 50, 300]) q(`introspection ofType chain ×${n}`, `{ __schema { types { ${'ofType { '.repeat(n)}name${' }'.repeat(n)} } } }`);
  for (const n of [4, 8, 20]) q(`introspection fields/type nesting ×${n}`, `{ __schema { types { ${'fields { type { '.repeat(n)}name${' } }'.repeat(n)} } } }`);
  q('introspection, every type, every field, every arg', '{ __schema { types { name fields(includeDeprecated: true) { name args { name type { name ofType { name } } } type { name ofType { name ofType { name } } } } inputFields { name } enumValues { name } } directives { name args { name } } } }');
  for (const n of [9, 20, 200]) q(`selection nesting ×${n}`, `{ team { ${'whatsappAccounts { '.repeat(n)}id${' }'.repeat(n)} } }`);
  q('nested list literal ×500', `{ realTimeMetrics(whatsappAccountId: ${'['.repeat(500)}"x"${']'.repeat(500)}) { generatedAt } }`);
  q('nested object literal ×300', `{ realTimeMetrics(whatsappAccountId: ${'{a: '.repeat(300)}1${'}'.repeat(300)}) { generatedAt } }`);
  for (const n of [15, 16, 100, 600]) q(`alias bomb ×${n} realTimeMetrics`, `{ ${Array.from({ length: n }, (_, i) => `a${i}: realTimeMetrics { messages { total } }`).join(' ')} }`);
  q('alias ×15 year-long dashboards, every field', `{ ${Array.from({ length: 15 }, (_, i) => `d${i}: dashboard(days: ${351 + i}) { days current { messages { total sent delivered read failed replied deliveryRate readRate replyRate failureRate } contacts { total new active blocked avgEngagementScore } conversations { total open closed avgResponseTime } campaigns { total active } } previous { messages { total } } series { id date metrics { messages { total } } } }`).join(' ')} }`);
  q('alias ×15 nested accounts × snapshots', `{ ${Array.from({ length: 15 }, (_, i) => `t${i}: team { whatsappAccounts { realTimeMetrics { messages { total } } snapshots(type: Daily, from: "${ctx.from}", to: "${ctx.to}") { id metrics { messages { total } } } } }`).join(' ')} }`);
  q('aliases inside a fragment spread 15 times', `{ ${Array.from({ length: 15 }, (_, i) => `x${i}: team { ...F }`).join(' ')} } fragment F on Team { ${Array.from({ length: 15 }, (_, i) => `w${i}: whatsappAccounts { id }`).join(' ')} }`);
  q('same field ×600 without aliases', `{ ${'realTimeMetrics { generatedAt } '.repeat(500)} }`);
  q('conflicting fields ×300', `{ ${Array.from({ length: 300 }, (_, i) => `realTimeMetrics(whatsappAccountId: "${i}") { generatedAt }`).join(' ')} }`);
  for (const n of [10, 20, 30]) {
    const frags = Array.from({ length: n }, (_, i) => `fragment F${i} on Team { ${i === n - 1 ? 'id' : `...F${i + 1} ...F${i + 1}`} }`).join(' ');
    q(`fragment doubling ×${n} (2^${n} expansions)`, `{ team { ...F0 } } ${frags}`);
  }
  q('fragment cycle', '{ team { ...A } } fragment A on Team { ...B } fragment B on Team { ...A }');
  q('self-referencing fragment', '{ team { ...A } } fragment A on Team { id ...A }');
  q('unknown fragment', '{ team { ...Nope } }');
  for (const n of [21, 200]) q(`directives ×${n}`, `{ team ${'@include(if: true) '.repeat(n)} { id } }`);
  q('unknown directive', '{ team @nope { id } }');
  q('variable in directive with wrong type', 'query($x: String) { team @include(if: $x) { id } }', { x: 'yes' });
  q('400 unused variables', `query(${Array.from({ length: 400 }, (_, i) => `$v${i}: ID`).join(' ')}) { team { id } }`);
  q('subscription', 'subscription { team { id } }');
  q('mutation via query keyword mix', 'query { triggerJob(name: "daily-analytics-snapshot") { id } }');
  q('__typename only on mutation root', 'mutation { __typename }');
  q('introspection of a hidden type', '{ __type(name: "JobRunRow") { name fields { name } } }');
  q('2000+ tokens', `{ team { ${'id '.repeat(2100)} } }`);
  q('ID array of 20000 elements (variable)', 'query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { generatedAt } }', { a: Array.from({ length: 20_000 }, (_, i) => i) });
  q('huge string to every ID (variable)', 'query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { generatedAt } }', { a: long('9', 60_000) });

  // 7. HTTP: methods, paths, query strings, headers.
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'CONNECT', 'FOO']) {
    out.push({ category: 'http', label: `${method} /graphql`, method, path: '/graphql', headers: { 'content-type': 'application/json', ...auth() }, body: valid, mayClose: method === 'CONNECT' });
  }
  for (const path of ['/', '/graphql/', '//graphql', '/graphql/../ready', '/%2e%2e/%2e%2e/etc/passwd', '/graphql%00', '/graphql?%ZZ', '/ready?x=%ZZ', '/metrics?name[]=1', '/nope', `/${long('a', 8000)}`, '/graphql#frag', '/GRAPHQL', '/graphql;jsessionid=1', '/graphql?query=%7Bteam%7Bid%7D%7D&query=%7Bteam%7Bname%7D%7D']) {
    out.push({ category: 'http', label: `GET ${path.slice(0, 60)}`, method: 'GET', path, headers: auth() });
  }
  const getQ = (label: string, params: Record<string, string>, headers: Record<string, string> = auth()) =>
    out.push({ category: 'http GET', label, method: 'GET', path: `/graphql?${new URLSearchParams(params)}`, headers });
  getQ('mutation over GET', { query: 'mutation { invalidateAnalyticsCache }' });
  getQ('variables not JSON', { query: 'query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { generatedAt } }', variables: '{a:' });
  getQ('extensions not JSON', { query: '{ team { id } }', extensions: '[' });
  getQ('no query', { variables: '{}' });
  getQ('GET without a preflight header (CSRF)', { query: '{ team { id } }' }, {});
  for (const s of strings.filter((x) => x.length < 3000)) {
    getQ(`GET realTimeMetrics(whatsappAccountId: ${json(s).slice(0, 40)})`, { query: 'query($a: ID) { realTimeMetrics(whatsappAccountId: $a) { generatedAt } }', variables: json({ a: s }) });
  }
  for (const [label, value] of [
    ['Bearer without token', 'Bearer'],
    ['Bearer with two tokens', 'Bearer a b'],
    ['Basic', 'Basic dXNlcjpwYXNz'],
    ['token of dots', 'Bearer ...'],
    ['10 KB token', `Bearer ${long('a', 10_000)}`],
    ['JWT-looking garbage', 'Bearer eyJhbGciOiJub25lIn0.eyJ0ZWFtSWQiOiIxIn0.'],
    ['SQL in token', "Bearer ' OR 1=1 --"],
    ['lower-case bearer', `bearer ${ctx.memberToken}`],
  ] as const) {
    post('http headers', `authorization: ${label}`, valid, { authorization: value });
  }
  post('http headers', 'accept: text/html on POST', valid, { accept: 'text/html' });
  post('http headers', 'accept: application/xml', valid, { accept: 'application/xml' });
  post('http headers', 'content-length lies (shorter)', valid, { 'content-length': '5' }, { mayClose: true });
  post('http headers', 'expect: 100-continue', valid, { expect: '100-continue' });
  post('http headers', 'x-apollo-operation-name with SQL', valid, { 'x-apollo-operation-name': "' OR 1=1 --" });

  // 8. Raw malformed HTTP on a socket.
  const raw = (label: string, text: string | Buffer) => out.push({ category: 'raw http', label, raw: typeof text === 'string' ? Buffer.from(text, 'latin1') : text, mayClose: true });
  raw('garbage', 'hello\r\n\r\n');
  raw('binary garbage', Buffer.from(Array.from({ length: 512 }, () => Math.floor(rnd() * 256))));
  raw('HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  raw('HTTP/0.9', 'GET /graphql\r\n\r\n');
  raw('HTTP/1.1 without Host', 'GET /health HTTP/1.1\r\n\r\n');
  raw('header without colon', 'GET /health HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n');
  raw('NUL in header', 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n');
  raw('obs-fold header', 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n');
  raw('content-length and transfer-encoding', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
  raw('two different content-lengths', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n{"a":`);
  raw('negative content-length', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`);
  raw('non-numeric content-length', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`);
  raw('huge content-length, short body', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${ctx.memberToken}\r\nContent-Length: 99999999999\r\n\r\n{}`);
  raw('bad chunk size', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`);
  raw('chunk size overflow', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n`);
  raw('utf-8 in header value', Buffer.concat([Buffer.from('GET /graphql?query=%7Bteam%7Bid%7D%7D HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '), Buffer.from('𝕏ü漢', 'utf8'), Buffer.from('\r\n\r\n')]));
  raw('space in method', 'G ET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  raw('absolute URI', 'GET http://evil.example/graphql?query=%7Bteam%7Bid%7D%7D HTTP/1.1\r\nHost: x\r\n\r\n');
  raw('pipelined mixed', `GET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n{x}GARBAGE\r\n\r\n`);
  return out;
}

// ── Sending ───────────────────────────────────────────────────────────────────

export interface HostileResult {
  request: HostileRequest;
  status: number;
  ms: number;
  body: string;
  /** No response: the connection was closed or timed out. */
  closed: boolean;
  timedOut: boolean;
  error?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function send(baseUrl: string, req: HostileRequest, timeoutMs: number): Promise<HostileResult> {
  const url = new URL(baseUrl);
  const started = Date.now();
  if (req.raw) return sendRaw(url, req, timeoutMs, started);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<HostileResult, 'request' | 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ request: req, ms: Date.now() - started, ...r });
    };
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined && !headers['content-length'] && !headers['transfer-encoding']) headers['content-length'] = String(Buffer.byteLength(req.body));
    let r: http.ClientRequest;
    try {
      r = http.request({ host: url.hostname, port: url.port, method: req.method ?? 'GET', path: req.path ?? '/', headers, agent: req.mayClose ? false : agent });
    } catch (err) {
      // The client refused to send it (e.g. an invalid header): nothing reached the server.
      return done({ status: -1, body: '', closed: false, timedOut: false, error: `not sendable: ${(err as Error).message}` });
    }
    const timer = setTimeout(() => {
      r.destroy(new Error('timeout'));
      done({ status: 0, body: '', closed: false, timedOut: true });
    }, timeoutMs);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size < 2_000_000) chunks.push(c);
      });
      const finish = () => {
        clearTimeout(timer);
        done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), closed: false, timedOut: false });
      };
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    });
    r.on('error', (err) => {
      clearTimeout(timer);
      done({ status: 0, body: '', closed: true, timedOut: false, error: err.message });
    });
    if (req.body !== undefined) {
      if (headers['transfer-encoding'] === 'chunked' && Buffer.isBuffer(req.body)) {
        // Stream it in pieces, as a client without a known length would.
        const body = req.body;
        let at = 0;
        const pump = () => {
          while (at < body.length) {
            const piece = body.subarray(at, at + 16_384);
            at += piece.length;
            if (!r.write(piece)) return void r.once('drain', pump);
          }
          r.end();
        };
        r.on('error', () => {});
        pump();
        return;
      }
      r.end(req.body);
    } else r.end();
  });
}

function sendRaw(url: URL, req: HostileRequest, timeoutMs: number, started: number): Promise<HostileResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean, timedOut: boolean, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ request: req, ms: Date.now() - started, status: m ? Number(m[1]) : 0, body: text.slice(0, 2000), closed: closed && !m, timedOut: timedOut && !m, ...(error ? { error } : {}) });
    };
    // A raw request that the server does not answer within the limit but keeps open is waiting for more
    // bytes (a body it was promised): that is the client's fault, not a slow server, and ends as "closed".
    const timer = setTimeout(() => finish(true, false, 'no answer: the server is waiting for the rest of the request'), Math.min(timeoutMs, 3000));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) setTimeout(() => finish(false, false), 50);
    });
    socket.on('error', (err) => finish(true, false, err.message));
    socket.on('close', () => finish(true, false));
    socket.on('connect', () => socket.write(req.raw!));
  });
}

/** Sends the corpus with bounded concurrency; resolves with every result in corpus order. */
export async function sendAll(baseUrl: string, corpus: HostileRequest[], opts: { concurrency: number; timeoutMs: number; onResult?: (r: HostileResult) => void }): Promise<HostileResult[]> {
  const results: HostileResult[] = new Array(corpus.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < corpus.length) {
        const i = next++;
        const r = await send(baseUrl, corpus[i]!, opts.timeoutMs);
        results[i] = r;
        opts.onResult?.(r);
      }
    }),
  );
  return results;
}

/** What is wrong with an answer to a hostile request (empty: nothing). */
export function problems(r: HostileResult, limitMs: number): string[] {
  const out: string[] = [];
  if (r.timedOut) out.push(`no answer within ${limitMs} ms`);
  else if (r.ms > limitMs) out.push(`slow: ${r.ms} ms`);
  if (r.status >= 500) out.push(`HTTP ${r.status}`);
  if (r.status === 0 && r.closed && !r.request.mayClose) out.push(`connection closed without an answer (${r.error ?? ''})`);
  if (/INTERNAL_SERVER_ERROR|Internal server error/i.test(r.body)) out.push('INTERNAL_SERVER_ERROR in the body');
  if (/stacktrace|\n\s+at .+\(.*:\d+:\d+\)|node_modules\/|\/work\/|\.ts:\d+/.test(r.body)) out.push('stack trace or source path in the body');
  return out;
}
