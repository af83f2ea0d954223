import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request headers a polling browser client sends to /graphql. */
const ALLOWED_HEADERS = 'authorization, content-type, if-none-match, apollo-require-preflight, x-apollo-operation-name';

/**
 * CORS for browser frontends on other origins (CORS_ORIGINS): an allowed origin gets
 * Access-Control-Allow-Origin (and can read the ETag it polls with); its preflight is answered here.
 * Other origins get no CORS headers, so browsers keep them out. Tokens travel in the Authorization
 * header, never in cookies, so no credentials mode is offered.
 */
export function createCors(origins: readonly string[]): (req: IncomingMessage, res: ServerResponse) => boolean {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  /** Returns true when it answered the request (a preflight). */
  return (req, res) => {
    const origin = req.headers.origin;
    if (!origin || (!any && !allowed.has(origin))) return false;
    res.setHeader('access-control-allow-origin', any ? '*' : origin);
    if (!any) res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'ETag');
    if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': '600',
      'content-length': '0',
    });
    res.end();
    return true;
  };
}
