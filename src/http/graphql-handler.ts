import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { AuthResult } from '../auth/jwt.js';
import type { AnalyticsCache } from '../cache/analytics-cache.js';
import { cacheKeys } from '../cache/cache.keys.js';
import type { GraphQLContext } from '../graphql/context.js';
import { AnswerCodec, answerOf, matchesEtag, maxAgeOf, sendAnswer, type Answer } from './answer.js';
import { EXPLORER_CSP, type ExplorerPage } from './explorer.js';
import { HttpError, parseJson, readBody } from './body.js';

export { matchesEtag } from './answer.js';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<GraphQLContext>;
  maxBodyBytes: number;
  /** Synchronous when the answer is known (a remembered token of a known team). */
  authenticate(req: IncomingMessage): AuthResult | Promise<AuthResult>;
  contextFor(req: IncomingMessage, auth: AuthResult): Promise<GraphQLContext>;
  explorer(): Promise<ExplorerPage>;
  /**
   * Whole-answer cache, checked right after the token is verified and before Apollo parses anything.
   * Keyed by team, role and request; stored for the answer's own max-age; cleared with the team's keys.
   */
  responseCache?: AnalyticsCache;
}

/** A browser asking for a page, not a client asking for data. */
function wantsHtml(req: IncomingMessage, url: URL | null): boolean {
  if (url && (url.searchParams.has('query') || url.searchParams.has('extensions'))) return false;
  return (req.headers.accept ?? '').includes('text/html');
}

function sendExplorer(req: IncomingMessage, res: ServerResponse, page: ExplorerPage): void {
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    etag: page.etag,
    vary: 'Accept, Accept-Encoding',
    'content-security-policy': EXPLORER_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (matchesEtag(req.headers['if-none-match'], page.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? page.gzip : page.html;
  res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * /graphql over node:http: GET (polling, persisted queries; the explorer for browsers) and POST.
 * Bodies are size-limited (413) and parsed here (malformed JSON → 400); Apollo does the rest.
 * GET answers carry an ETag; a poll whose If-None-Match still matches gets 304 and no body.
 * `url` is null for a request to the bare path (no query string).
 */
export function createGraphQLHandler(opts: GraphQLHandlerOptions) {
  const hashes = new RequestHashes();
  const codec = new AnswerCodec(); // the response-cache form of answers (see answer.ts)
  return async (req: IncomingMessage, res: ServerResponse, url: URL | null): Promise<void> => {
    const method = req.method ?? 'GET';
    if ((method === 'GET' || method === 'HEAD') && wantsHtml(req, url)) return sendExplorer(req, res, await opts.explorer());
    if (method !== 'GET' && method !== 'POST') {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported on /graphql: use GET or POST`, { allow: 'GET, POST' });
    }

    // What identifies the request for the response cache: the query string, or the body as sent.
    // The body is parsed only when Apollo runs: a cached answer was made from the same text.
    const search = url?.search ?? '';
    const requestText = method === 'POST' ? await readBody(req, opts.maxBodyBytes) : search;
    const pending = opts.authenticate(req);
    const auth = pending instanceof Promise ? await pending : pending;
    const cache = opts.responseCache;
    const principal = auth.principal;
    const answer =
      cache && principal
        ? await cache.readThrough(
            'response',
            cacheKeys.response(principal.teamId, principal.role, hashes.of(method, requestText)),
            async () => {
              const a = await execute(opts, req, method, search, requestText, auth);
              return { value: a, ttlSeconds: maxAgeOf(a.status, a.headers) };
            },
            codec,
          )
        : await execute(opts, req, method, search, requestText, auth);
    sendAnswer(req, res, method, answer);
  };
}

/** Runs the request through Apollo (a miss, or no response cache). */
async function execute(opts: GraphQLHandlerOptions, req: IncomingMessage, method: string, search: string, requestText: string, auth: AuthResult): Promise<Answer> {
  const body = method === 'POST' ? parsedBody(req, requestText) : undefined;
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await opts.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method, headers, search, body },
    context: () => opts.contextFor(req, auth),
  });
  const out: Record<string, string> = { vary: 'Accept, Authorization' };
  for (const [name, value] of response.headers) out[name] = value;
  let payload = '';
  if (response.body.kind === 'complete') payload = response.body.string;
  else for await (const chunk of response.body.asyncIterator) payload += chunk;
  return answerOf(response.status ?? 200, out, payload);
}

/** A POST body as Apollo takes it: a JSON object for JSON content types (400 otherwise), else the text. */
function parsedBody(req: IncomingMessage, text: string): unknown {
  const json = /\bjson\b/i.test(String(req.headers['content-type'] ?? ''));
  const body = json ? parseJson(text) : text;
  if (json && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new HttpError(400, 'BAD_REQUEST', 'The body must be one JSON object {"query": "...", "variables": {...}} (batches are not accepted)');
  }
  return body;
}

/**
 * sha1 of method + request text, remembered for the texts seen most recently: pollers send the same
 * few documents over and over, and a Map look-up is cheaper than hashing again. Bounded: cleared when full.
 */
class RequestHashes {
  private readonly known = new Map<string, string>();
  constructor(private readonly max = 256) {}

  of(method: string, text: string): string {
    const id = `${method}\n${text}`;
    let hash = this.known.get(id);
    if (hash === undefined) {
      hash = createHash('sha1').update(id).digest('base64url');
      if (this.known.size >= this.max) this.known.clear();
      if (id.length <= 8_192) this.known.set(id, hash);
    }
    return hash;
  }
}
