import { describe, expect, it } from 'vitest';
import { AnswerCodec, answerOf, decodeAnswer, encodeAnswer, maxAgeOf } from './answer.js';

const headers = { vary: 'Accept, Authorization', 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=30, private' };
const payload = '{"data":{"realTimeMetrics":{"messages":{"total":1}},"note":"é: \\n\\n"}}';

describe('response-cache answers', () => {
  it('a cacheable answer carries its freshness, ETag and byte length; an error none', () => {
    const a = answerOf(200, headers, payload, 1_000);
    expect(a).toMatchObject({ status: 200, freshUntil: 31_000, length: Buffer.byteLength(payload) });
    expect(a.etag).toMatch(/^W\/".+"$/);
    const error = answerOf(200, { ...headers, 'cache-control': 'no-store' }, '{"errors":[]}');
    expect(error).toMatchObject({ freshUntil: null, etag: null });
    expect(maxAgeOf(400, headers)).toBe(0);
  });

  it('encodes to text and back exactly (payloads with blank lines and non-ASCII included)', () => {
    const a = answerOf(200, headers, payload);
    const text = encodeAnswer(a);
    expect(decodeAnswer(text)).toEqual(a);
    expect(decodeAnswer(JSON.stringify(a))).toBeUndefined(); // the former JSON form reads as a miss
    expect(decodeAnswer('A1 garbage')).toBeUndefined();
  });

  it('AnswerCodec reuses what it decoded for a key only while the text is the same', () => {
    const codec = new AnswerCodec(2);
    const first = answerOf(200, headers, payload);
    const text = codec.encode(first);
    const a = codec.decode(text, 'k');
    expect(codec.decode(`${text}`, 'k')).toBe(a);
    const changed = codec.encode(answerOf(200, headers, '{"data":{"x":2}}'));
    expect(codec.decode(changed, 'k')?.payload).toBe('{"data":{"x":2}}');
    expect(codec.decode(text, 'other')).toEqual(first);
    codec.decode(text, 'third'); // over the bound: cleared, still correct
    expect(codec.decode(changed, 'k')?.payload).toBe('{"data":{"x":2}}');
  });
});
