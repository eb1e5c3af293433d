// What the provider tests share: a recording upstream server on 127.0.0.1, a shared mock's hooks, a closed port, a primed secret resolver, GatewayError rejections.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeEach, expect } from 'vitest';
import { GatewayError } from '../../src/gateway/errors.js';
import { createSecretResolver, type SecretResolver } from '../../src/gateway/secrets/resolver.js';
import type { SecretStore } from '../../src/gateway/secrets/store.js';

export interface SeenUpstreamRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when the body was empty. */
  body: unknown;
}

/** How the server answers one request: a status (default 200) and a JSON body, or a raw text body without a content type. */
export type UpstreamAnswer = { status?: number; json: unknown } | { status?: number; text: string };

export interface UpstreamServer {
  /** `http://127.0.0.1:PORT`, no path. */
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  seen: SeenUpstreamRequest[];
  /** How the next requests are answered; a test may replace it, `reset` restores the one the server started with. */
  answer: (req: SeenUpstreamRequest) => UpstreamAnswer;
  /** Forgets what was seen and restores the first answer. */
  reset(): void;
  /** Stops listening and destroys open connections; closing twice is harmless. */
  close(): Promise<void>;
}

/** A stand-in upstream that records every request and answers it with `answer` (by default 200 `{}`). */
export async function startUpstreamServer(answer: (req: SeenUpstreamRequest) => UpstreamAnswer = () => ({ json: {} })): Promise<UpstreamServer> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      const entry: SeenUpstreamRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw === '' ? undefined : (JSON.parse(raw) as unknown) };
      upstream.seen.push(entry);
      const reply = upstream.answer(entry);
      if ('json' in reply) {
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.json));
      } else {
        res.writeHead(reply.status ?? 200);
        res.end(reply.text);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const upstream: UpstreamServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    seen: [],
    answer,
    reset() {
      upstream.seen.length = 0;
      upstream.answer = answer;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
  return upstream;
}

/** Shares one mock upstream across a test file: its recorded requests are cleared before each test, and it is closed after the last. */
export function sharedMock<M extends { requests: unknown[]; close(): Promise<void> }>(mock: M): M {
  beforeEach(() => {
    mock.requests.length = 0;
  });
  afterAll(() => mock.close());
  return mock;
}

/** A port nothing listens on: one that was free a moment ago. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A keychain that holds nothing: secrets come from the environment given to `secretsWith`. */
const noKeychain: SecretStore = {
  backend: 'keychain',
  get: () => Promise.resolve(null),
  set: () => Promise.resolve(),
  delete: () => Promise.resolve(false),
  list: () => Promise.resolve([]),
};

/**
 * A resolver holding these environment variables, primed as the gateway primes it at start-up;
 * `alsoPrime` names further references to prime (one that is missing is then recorded as missing).
 */
export async function secretsWith(env: Record<string, string>, alsoPrime: readonly string[] = []): Promise<SecretResolver> {
  const secrets = createSecretResolver(noKeychain, env);
  await secrets.prime([...Object.keys(env).map((name) => `env:${name}`), ...alsoPrime]);
  return secrets;
}

/** The GatewayError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}
