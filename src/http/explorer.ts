import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

export const DEFAULT_EXPLORER_QUERY = `# Welcome to the analytics gateway.
# Every request needs "Authorization: Bearer <JWT>" (see the Headers tab below).
# Press the run button (or Ctrl+Enter) to run this query.

query Dashboard {
  dashboard(days: 30) {
    days
    current {
      period { start end }
      messages { total sent delivered read replied deliveryRate readRate replyRate }
      contacts { total active new }
      conversations { total open closed avgResponseTime }
    }
    growth {
      messages { total deliveryRate replyRate }
    }
  }
}
`;

export interface ExplorerOptions {
  /** GraphQL endpoint the page talks to (same origin). */
  endpoint: string;
  /** Development only: a token pre-filled in the Headers editor. */
  demoToken?: string;
}

export interface ExplorerPage {
  html: Buffer;
  gzip: Buffer;
  etag: string;
}

/**
 * A self-contained GraphiQL page: the editor, its workers and styles are inlined by
 * @graphql-yoga/render-graphiql, so the page loads nothing from any CDN and works offline.
 */
export function renderExplorer(opts: ExplorerOptions): ExplorerPage {
  const headers = opts.demoToken ? JSON.stringify({ Authorization: `Bearer ${opts.demoToken}` }, null, 2) : JSON.stringify({ Authorization: 'Bearer <your JWT>' }, null, 2);
  const html = Buffer.from(
    renderGraphiQL({
      title: 'Analytics gateway — GraphQL explorer',
      endpoint: opts.endpoint,
      defaultQuery: DEFAULT_EXPLORER_QUERY,
      headers,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
      credentials: 'same-origin',
    }),
  );
  return { html, gzip: gzipSync(html), etag: `"${createHash('sha1').update(html).digest('base64url')}"` };
}

/**
 * Keeps the page to its own origin: scripts and styles are inline, workers are blob: URLs, fetches go
 * to the gateway. A browser refuses anything else, so a regression cannot silently reach a CDN.
 */
export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
