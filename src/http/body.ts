import type { IncomingMessage, ServerResponse } from 'node:http';

/** An HTTP-level rejection: status, a GraphQL-shaped JSON error body with a code, optional headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds the ${limit}-byte limit`, { connection: 'close' });
}

/**
 * Reads the request body, refusing more than `limit` bytes (413) before and while reading.
 * (No named closures per request: under tsx each one costs a defineProperty for its name.)
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return; // over the limit: the rest is discarded, the response closes the connection
      size += chunk.length;
      if (size > limit) reject(tooLarge(limit));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', (err) => reject(new HttpError(400, 'BAD_REQUEST', `Could not read the request body: ${err.message}`)));
  });
}

/** Parses a JSON body; malformed JSON is a 400 that says so. */
export function parseJson(text: string): unknown {
  if (!text.trim()) throw new HttpError(400, 'BAD_REQUEST', 'The request body is empty: send a JSON object {"query": "...", "variables": {...}}');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'BAD_REQUEST', `Malformed JSON body: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends an HttpError as a GraphQL-shaped error response. */
export function sendHttpError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] }, error.headers);
}
