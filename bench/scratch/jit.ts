import { connectPostgres } from '../../src/db/client.js';
import { sql } from 'drizzle-orm';
const d = connectPostgres('postgres://postgres@127.0.0.1:5432/analytics_bench_dev10?options=-c%20jit%3Doff');
console.log(await d.rows(sql`show jit`)); await d.close();
