import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.js';
import { EXPLORER_CSP, type ExplorerPage } from './explorer.js';
import { HttpError, parseJson, readBody } from './body.js';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<GraphQLContext>;
  maxBodyBytes: number;
  contextFor(req: IncomingMessage): Promise<GraphQLContext>;
  explorer(): ExplorerPage;
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
    if (method === 'POST') {
      const text = await readBody(req, opts.maxBodyBytes);
      const json = /\bjson\b/i.test(String(req.headers['content-type'] ?? ''));
      body = json ? parseJson(text) : text;
      if (json && (body === null || typeof body !== 'object' || Array.isArray(body))) {
        throw new HttpError(400, 'BAD_REQUEST', 'The body must be one JSON object {"query": "...", "variables": {...}} (batches are not accepted)');
      }
    }

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await opts.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: url.search, body },
      context: () => opts.contextFor(req),
    });

    const status = response.status ?? 200;
    const out: Record<string, string> = { vary: 'Accept, Authorization' };
    for (const [name, value] of response.headers) out[name] = value;
    if (response.body.kind !== 'complete') {
      res.writeHead(status, out);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
      return;
    }
    const payload = response.body.string;
    const cacheable = method === 'GET' && status === 200 && !/no-store/.test(out['cache-control'] ?? 'no-store');
    if (cacheable) {
      out.etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
      if (matchesEtag(req.headers['if-none-match'], out.etag)) {
        res.writeHead(304, out);
        res.end();
        return;
      }
    }
    res.writeHead(status, { ...out, 'content-length': String(Buffer.byteLength(payload)) });
    res.end(payload);
  };
}
