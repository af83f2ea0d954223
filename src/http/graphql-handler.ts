import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { AuthResult } from '../auth/jwt.js';
import type { AnalyticsCache } from '../cache/analytics-cache.js';
import { cacheKeys } from '../cache/cache.keys.js';
import type { GraphQLContext } from '../graphql/context.js';
import { EXPLORER_CSP, type ExplorerPage } from './explorer.js';
import { HttpError, parseJson, readBody } from './body.js';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<GraphQLContext>;
  maxBodyBytes: number;
  authenticate(req: IncomingMessage): Promise<AuthResult>;
  contextFor(req: IncomingMessage, auth: AuthResult): Promise<GraphQLContext>;
  explorer(): ExplorerPage;
  /**
   * Whole-answer cache, checked right after the token is verified and before Apollo parses anything.
   * Keyed by team, role and request; stored for the answer's own max-age; cleared with the team's keys.
   */
  responseCache?: AnalyticsCache;
}

/** One finished GraphQL answer, as sent (and as kept in the response cache). */
interface Answer {
  status: number;
  headers: Record<string, string>;
  payload: string;
  /** Epoch ms until which a cacheable answer is fresh (its max-age from when it was computed). */
  freshUntil: number | null;
}

/** max-age of a cacheable answer; 0 for errors, mutations (no-store) and anything not a 200. */
function maxAgeOf(answer: Pick<Answer, 'status' | 'headers'>): number {
  const cc = answer.headers['cache-control'] ?? 'no-store';
  if (answer.status !== 200 || /no-store/.test(cc)) return 0;
  return Number(/max-age=(\d+)/.exec(cc)?.[1] ?? 0);
}

/** A browser asking for a page, not a client asking for data. */
function wantsHtml(req: IncomingMessage, url: URL): boolean {
  return !url.searchParams.has('query') && !url.searchParams.has('extensions') && (req.headers.accept ?? '').includes('text/html');
}

/** True when an If-None-Match header lists `etag` (weak comparison, as RFC 9110 asks for GET). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => bare(tag) === bare(etag));
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
 */
export function createGraphQLHandler(opts: GraphQLHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    if ((method === 'GET' || method === 'HEAD') && wantsHtml(req, url)) return sendExplorer(req, res, opts.explorer());
    if (method !== 'GET' && method !== 'POST') {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported on /graphql: use GET or POST`, { allow: 'GET, POST' });
    }

    let body: unknown;
    // What identifies the request for the response cache: the query string, or the body as sent.
    let requestText = url.search;
    if (method === 'POST') {
      const text = await readBody(req, opts.maxBodyBytes);
      requestText = text;
      const json = /\bjson\b/i.test(String(req.headers['content-type'] ?? ''));
      body = json ? parseJson(text) : text;
      if (json && (body === null || typeof body !== 'object' || Array.isArray(body))) {
        throw new HttpError(400, 'BAD_REQUEST', 'The body must be one JSON object {"query": "...", "variables": {...}} (batches are not accepted)');
      }
    }

    const auth = await opts.authenticate(req);
    const execute = async (): Promise<Answer> => {
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await opts.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: url.search, body },
        context: () => opts.contextFor(req, auth),
      });
      const out: Record<string, string> = { vary: 'Accept, Authorization' };
      for (const [name, value] of response.headers) out[name] = value;
      let payload = '';
      if (response.body.kind === 'complete') payload = response.body.string;
      else for await (const chunk of response.body.asyncIterator) payload += chunk;
      const answer = { status: response.status ?? 200, headers: out, payload, freshUntil: null };
      const maxAge = maxAgeOf(answer);
      return maxAge > 0 ? { ...answer, freshUntil: Date.now() + maxAge * 1000 } : answer;
    };

    const cache = opts.responseCache;
    const principal = auth.principal;
    const answer =
      cache && principal
        ? await cache.readThrough('response', responseKey(principal, method, requestText), async () => {
            const a = await execute();
            return { value: a, ttlSeconds: maxAgeOf(a) };
          })
        : await execute();
    send(req, res, method, answer);
  };
}

function responseKey(principal: { teamId: string; role: string }, method: string, requestText: string): string {
  const hash = createHash('sha1').update(method).update('\n').update(requestText).digest('base64url');
  return cacheKeys.response(principal.teamId, principal.role, hash);
}

function send(req: IncomingMessage, res: ServerResponse, method: string, answer: Answer): void {
  const out = { ...answer.headers };
  if (answer.freshUntil !== null) {
    // A cached answer is fresh only for what is left of its max-age.
    const left = Math.max(0, Math.ceil((answer.freshUntil - Date.now()) / 1000));
    out['cache-control'] = out['cache-control']!.replace(/max-age=\d+/, `max-age=${left}`);
    if (method === 'GET') {
      out.etag = `W/"${createHash('sha1').update(answer.payload).digest('base64url')}"`;
      if (matchesEtag(req.headers['if-none-match'], out.etag)) {
        res.writeHead(304, out);
        res.end();
        return;
      }
    }
  }
  res.writeHead(answer.status, { ...out, 'content-length': String(Buffer.byteLength(answer.payload)) });
  res.end(answer.payload);
}
