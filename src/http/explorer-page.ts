import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { DEFAULT_EXPLORER_QUERY, type ExplorerOptions, type ExplorerPage } from './explorer.js';

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
