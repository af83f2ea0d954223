import { generateDataset } from '../dataset.js';
const scale = Number(process.argv[2] ?? 0.01); const days = Number(process.argv[3] ?? 90);
const m = await generateDataset({ adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres', database: process.argv[4] ?? 'analytics_bench_dev', scale, days, log: console.log });
console.log(JSON.stringify(m, null, 1));
