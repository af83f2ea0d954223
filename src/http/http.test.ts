import { describe, expect, it } from 'vitest';
import { matchesEtag } from './graphql-handler.js';
import { HttpError, parseJson } from './body.js';
import { renderExplorer } from './explorer-page.js';

describe('HTTP helpers', () => {
  it('If-None-Match: weak comparison, lists and *', () => {
    expect(matchesEtag('W/"abc"', 'W/"abc"')).toBe(true);
    expect(matchesEtag('"abc"', 'W/"abc"')).toBe(true);
    expect(matchesEtag('"x", W/"abc"', 'W/"abc"')).toBe(true);
    expect(matchesEtag('*', 'W/"abc"')).toBe(true);
    expect(matchesEtag('W/"abd"', 'W/"abc"')).toBe(false);
    expect(matchesEtag(undefined, 'W/"abc"')).toBe(false);
  });

  it('malformed JSON is a 400 that says so', () => {
    expect(() => parseJson('{"query":')).toThrow(HttpError);
    try {
      parseJson('{"query":');
    } catch (err) {
      expect((err as HttpError).status).toBe(400);
      expect((err as HttpError).message).toMatch(/Malformed JSON body/);
    }
    expect(parseJson('{"query":"{ team { id } }"}')).toEqual({ query: '{ team { id } }' });
  });

  it('the explorer page is self-contained and carries the demo token only when given one', () => {
    const withToken = renderExplorer({ endpoint: '/graphql', demoToken: 'tok123' }).html.toString();
    expect(withToken).toContain('Bearer tok123');
    expect(withToken).not.toMatch(/<script[^>]+src=/i);
    expect(renderExplorer({ endpoint: '/graphql' }).html.toString()).not.toContain('tok123');
  });
});
