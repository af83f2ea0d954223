import { describe, expect, it } from 'vitest';
import { NearCache } from './near-cache.js';

describe('NearCache', () => {
  it('keeps a value with its epoch until its freshness ends', () => {
    const near = new NearCache<string>();
    near.set('k', 'answer', '3', 2_000, 1_000);
    expect(near.get('k', 1_999)).toEqual({ value: 'answer', epoch: '3', freshUntil: 2_000 });
    expect(near.get('k', 2_000)).toBeUndefined();
    expect(near.get('k', 1_500)).toBeUndefined(); // dropped once seen stale
  });

  it('keeps nothing that is not fresh, and forgets on delete', () => {
    const near = new NearCache<string>();
    near.set('never', 'x', '', null, 1_000);
    near.set('past', 'x', '', 900, 1_000);
    near.set('k', 'x', '', 5_000, 1_000);
    near.delete('k');
    expect([near.get('never', 1_000), near.get('past', 1_000), near.get('k', 1_000)]).toEqual([undefined, undefined, undefined]);
  });

  it('is bounded: a full cache starts over', () => {
    const near = new NearCache<number>(2);
    near.set('a', 1, '', 10, 0);
    near.set('b', 2, '', 10, 0);
    near.set('b', 3, '', 10, 0); // replacing a key does not count as growing
    expect(near.get('a', 0)?.value).toBe(1);
    near.set('c', 4, '', 10, 0);
    expect([near.get('a', 0), near.get('b', 0), near.get('c', 0)?.value]).toEqual([undefined, undefined, 4]);
  });
});
