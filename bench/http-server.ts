/**
 * One server of the cached-poll benchmark, in a process of its own (so its RSS is its own and the
 * load generator does not share its event loop). Prints one JSON line `{ "url": … }` when listening.
 *
 *   tsx bench/http-server.ts null                                       node:http answering a constant 2 KB (what the load generator can drive)
 *   tsx bench/http-server.ts bare      <redisUrl>                       node:http + one Redis GET of 2 KB
 *   tsx bench/http-server.ts mercurius <responsesJsonFile>              Fastify + Mercurius + graphql-jit, from memory
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';


export const BARE_KEY = 'bench:bare:value';

/**
 * node:http answering every request with the same 2 KB buffer: no work at all. What autocannon reaches
 * against it is the most this machine's load generator can drive, so it tells whether a figure is the
 * server's or the client's.
 */
async function nullServer() {
  const body = Buffer.alloc(2048, 'x');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bare(redisUrl: string) {
  const redis = new Redis(redisUrl);
  const server = createServer((req, res) => {
    // Drain the request body, answer with the cached value: the least a cached answer over HTTP can cost.
    req.resume();
    req.on('end', () => {
      redis.get(BARE_KEY).then(
        (value) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(value ?? '') });
          res.end(value ?? '');
        },
        () => {
          res.writeHead(503);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function mercurius(responsesFile: string) {
  const { default: Fastify } = await import('fastify');
  const { default: mercuriusPlugin } = await import('mercurius');
  const responses = JSON.parse(readFileSync(responsesFile, 'utf8')) as { realTimeMetrics: unknown; dashboard: unknown };
  const schema = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
  const app = Fastify({ logger: false });
  await app.register(mercuriusPlugin, {
    schema,
    resolvers: {
      Query: {
        realTimeMetrics: () => responses.realTimeMetrics,
        dashboard: () => responses.dashboard,
      },
    },
    jit: 1, // compile every query with graphql-jit after its first run
    cache: true,
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

const main = async (kind: string | undefined, rest: string[]) => {
  let url: string;
  if (kind === 'null') url = await nullServer();
  else if (kind === 'bare') url = await bare(rest[0]!);
  else if (kind === 'mercurius') url = await mercurius(rest[0]!);
  else throw new Error(`unknown server kind ${kind}`);
  process.stdout.write(`${JSON.stringify({ url })}\n`);
};

if (process.argv[1]?.endsWith('http-server.ts')) {
  main(process.argv[2], process.argv.slice(3)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
