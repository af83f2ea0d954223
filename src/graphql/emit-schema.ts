/**
 * `npm run schema:emit` writes schema.graphql from the resolvers; `--check` exits 1 when the committed
 * file differs from what the code builds (CI). The API test suite checks the same.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printSchemaSDL } from './schema.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

async function main(): Promise<void> {
  const sdl = await printSchemaSDL();
  if (process.argv.includes('--check')) {
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    if (committed !== sdl) {
      console.error('schema.graphql is stale: run `npm run schema:emit` and commit it');
      process.exit(1);
    }
    console.log('schema.graphql is up to date');
    return;
  }
  await writeFile(SCHEMA_FILE, sdl);
  console.log(`wrote ${SCHEMA_FILE}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
