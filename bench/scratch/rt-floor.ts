import pg from 'pg';
import { realTimePeriod } from '../../src/metrics/periods.js';
import { floorSql } from '../floor.sql.js';
import { readManifest } from '../dataset.js';
const m = (await readManifest('postgres://postgres@127.0.0.1:5432/postgres', process.argv[2]!))!;
const c = new pg.Client({ connectionString: m.url, options: '-c jit=off' }); await c.connect();
const p = realTimePeriod(m.largestTeam.timezone);
const params = [[m.largestTeam.id], [p.start.toISOString()], [p.end.toISOString()]];
for (let i = 0; i < 3; i++) { const t0 = performance.now(); await c.query(floorSql({ accounts: false }), params); console.log('ms', (performance.now() - t0).toFixed(1)); }
const r = await c.query('EXPLAIN (ANALYZE, BUFFERS) ' + floorSql({ accounts: false }), params);
console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n'));
await c.end();
