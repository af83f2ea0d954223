import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One finished GraphQL answer, as sent (and as kept in the response cache). */
export interface Answer {
  status: number;
  /** Header names in lower case; `cache-control` of a cacheable answer holds its full max-age. */
  headers: Record<string, string>;
  payload: string;
  /** Epoch ms until which a cacheable answer is fresh (its max-age from when it was computed). */
  freshUntil: number | null;
  /** Weak ETag of the payload, for cacheable answers (sent on GET). */
  etag: string | null;
  /** Payload size in bytes. */
  length: number;
}

/** max-age of a cacheable answer; 0 for errors, mutations (no-store) and anything not a 200. */
export function maxAgeOf(status: number, headers: Record<string, string>): number {
  const cc = headers['cache-control'] ?? 'no-store';
  if (status !== 200 || /no-store/.test(cc)) return 0;
  return Number(/max-age=(\d+)/.exec(cc)?.[1] ?? 0);
}

/** An answer from Apollo's status, headers and body: freshness and ETag computed once, here. */
export function answerOf(status: number, headers: Record<string, string>, payload: string, now = Date.now()): Answer {
  const maxAge = maxAgeOf(status, headers);
  const fresh = maxAge > 0;
  return {
    status,
    headers,
    payload,
    freshUntil: fresh ? now + maxAge * 1000 : null,
    etag: fresh ? `W/"${createHash('sha1').update(payload).digest('base64url')}"` : null,
    length: Buffer.byteLength(payload),
  };
}

/*
 * Stored form of a cacheable answer: the bytes to send, behind a few text lines, so a hit needs no
 * JSON parse and no hashing.
 *   A1 <freshUntil> <length> <status>\n<etag>\n<name>: <value>\n…\n\n<payload>
 */
const MAGIC = 'A1 ';

export function encodeAnswer(a: Answer): string {
  let head = `${MAGIC}${a.freshUntil ?? 0} ${a.length} ${a.status}\n${a.etag ?? ''}\n`;
  for (const name in a.headers) head += `${name}: ${a.headers[name]}\n`;
  return `${head}\n${a.payload}`;
}

/** The answer of a stored entry, or undefined for anything else (an older format: read as a miss). */
export function decodeAnswer(text: string): Answer | undefined {
  if (!text.startsWith(MAGIC)) return undefined;
  const end = text.indexOf('\n\n');
  if (end < 0) return undefined;
  const lines = text.slice(0, end).split('\n');
  const [freshUntil, length, status] = lines[0]!.slice(MAGIC.length).split(' ').map(Number) as [number, number, number];
  const headers: Record<string, string> = {};
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(': ');
    headers[line.slice(0, colon)] = line.slice(colon + 2);
  }
  return { status, headers, payload: text.slice(end + 2), freshUntil: freshUntil || null, etag: lines[1] || null, length };
}

/**
 * decodeAnswer with a memory of the last entry decoded per cache key: while an entry lives, every
 * poll reads the same text back from Redis, and comparing it with the remembered one is cheaper than
 * decoding it again. Bounded (cleared when full); an entry changes with its text.
 */
export class AnswerCodec {
  private readonly known = new Map<string, { text: string; answer: Answer }>();
  constructor(private readonly max = 2_000) {}

  encode(answer: Answer): string {
    return encodeAnswer(answer);
  }

  freshUntil(answer: Answer): number | null {
    return answer.freshUntil;
  }

  decode(text: string, key: string): Answer | undefined {
    const seen = this.known.get(key);
    if (seen !== undefined && seen.text === text) return seen.answer;
    const answer = decodeAnswer(text);
    if (answer === undefined) return undefined;
    if (this.known.size >= this.max) this.known.clear();
    this.known.set(key, { text, answer });
    return answer;
  }
}

/** True when an If-None-Match header lists `etag` (weak comparison, as RFC 9110 asks for GET). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => bare(tag) === bare(etag));
}

/** Name/value pairs of an answer's headers other than cache-control, for writeHead (built once per answer). */
const fixedHeaders = new WeakMap<Answer, string[]>();
function fixedOf(answer: Answer): string[] {
  let flat = fixedHeaders.get(answer);
  if (flat === undefined) {
    flat = [];
    for (const name in answer.headers) if (name !== 'cache-control') flat.push(name, answer.headers[name]!);
    fixedHeaders.set(answer, flat);
  }
  return flat;
}

/** Sends an answer: a cached one with what is left of its max-age, its ETag on GET, 304 when it matches. */
export function sendAnswer(req: IncomingMessage, res: ServerResponse, method: string, answer: Answer): void {
  const out = fixedOf(answer).slice();
  const cc = answer.headers['cache-control'];
  if (answer.freshUntil === null || cc === undefined) {
    if (cc !== undefined) out.push('cache-control', cc);
  } else {
    const left = Math.max(0, Math.ceil((answer.freshUntil - Date.now()) / 1000));
    out.push('cache-control', cc.replace(/max-age=\d+/, `max-age=${left}`));
    if (method === 'GET' && answer.etag) {
      out.push('etag', answer.etag);
      if (matchesEtag(req.headers['if-none-match'], answer.etag)) {
        res.writeHead(304, out);
        res.end();
        return;
      }
    }
  }
  out.push('content-length', String(answer.length));
  res.writeHead(answer.status, out);
  res.end(answer.payload);
}
