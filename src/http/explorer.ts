/*
 * The explorer's settings. The page itself is rendered by explorer-page.ts, loaded only when a browser
 * first asks for it: @graphql-yoga/render-graphiql holds the whole GraphiQL bundle in memory.
 */

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
