import { readFile } from 'node:fs/promises';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.js';
import { printSchemaSDL } from '../../src/graphql/schema.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

describe('committed artefacts are up to date', () => {
  it('schema.graphql equals the schema the resolvers build (run `npm run schema:emit`)', async () => {
    expect(await read('schema.graphql')).toBe(await printSchemaSDL());
  });

  it('the spec’s names are all there (spec §6)', async () => {
    const sdl = await printSchemaSDL();
    for (const line of [
      'team: Team!',
      'snapshots(type: SnapshotType!, from: Date!, to: Date!, whatsappAccountId: ID, first: Int = 50, after: String): SnapshotConnection!',
      'snapshot(id: ID!): Snapshot',
      'realTimeMetrics(whatsappAccountId: ID): AnalyticsMetrics!',
      'dashboard(days: Int! = 30, whatsappAccountId: ID): Dashboard!',
      'analyticsHealth: AnalyticsHealth!',
      'generateSnapshot(date: Date!, type: SnapshotType!, whatsappAccountId: ID): Snapshot!',
      'invalidateAnalyticsCache: Boolean!',
      'triggerJob(name: String!): JobRun!',
      'snapshots(type: SnapshotType!, from: Date!, to: Date!): [Snapshot!]!',
    ]) {
      expect(sdl).toContain(line);
    }
  });

  it('tests/api/generated is what `npm run codegen` produces from schema.graphql and the operations', async () => {
    process.chdir(new URL('.', root).pathname);
    const outputs = await generate({ ...codegenConfig, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      expect(await read(output.filename), `${output.filename} is stale: run \`npm run codegen\``).toBe(output.content);
    }
  }, 60_000);
});
