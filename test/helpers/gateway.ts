// Starts a real gateway in this process over a temporary data directory, for end-to-end tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { createLogger } from '../../src/gateway/log.js';
import { openDatabase } from '../../src/gateway/store/db.js';
import type { SecretStore } from '../../src/gateway/secrets/store.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  consoleUrl: string;
  dataDir: string;
  configPath: string;
  /** A new virtual key's secret. */
  newKey(params?: { name?: string; models?: string[] }): Promise<{ id: string; secret: string }>;
  /** Rows of the ledger, parsed, oldest first. */
  events(type?: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** A keychain held in memory: for tests that are about something other than the keychain. */
export function memorySecretStore(initial: Record<string, string> = {}): SecretStore {
  const m = new Map(Object.entries(initial));
  return {
    backend: 'keychain',
    get: async (n) => m.get(n) ?? null,
    set: async (n, v) => void m.set(n, v),
    delete: async (n) => m.delete(n),
    list: async () => [...m.keys()].sort(),
  };
}

export function configFor(upstreamBaseUrl: string, extra = ''): string {
  return `version: 1
server:
  port: 0
providers:
  - id: mock
    type: openai-compatible
    baseUrl: ${upstreamBaseUrl}
    apiKey: env:MOCK_UPSTREAM_KEY
models:
  - name: fast
    targets:
      - { provider: mock, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }
${extra}`;
}

export async function startTestGateway(configText: string, opts: { env?: Record<string, string>; secretStore?: SecretStore } = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
  const configPath = join(dataDir, 'gatehouse.yaml');
  writeFileSync(configPath, configText);
  const gateway = createGateway(
    { dataDir, configPath, env: { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', ...opts.env } },
    { logger: createLogger({ level: process.env.GATEHOUSE_TEST_LOG ?? 'silent' }), secretStore: opts.secretStore ?? memorySecretStore() },
  );
  const { url, consoleUrl } = await gateway.start();
  return {
    gateway,
    url,
    consoleUrl,
    dataDir,
    configPath,
    async newKey(params = {}) {
      const r = await gateway.call('keys:create', { name: params.name ?? 'test', ...(params.models ? { models: params.models } : {}) }, 'local');
      return { id: r.key.id, secret: r.secret };
    },
    events(type) {
      const db = openDatabase(join(dataDir, 'gatehouse.sqlite'));
      try {
        const rows = db.prepare('SELECT body FROM events ORDER BY seq').all() as { body: string }[];
        return rows.map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((e) => !type || e.type === type);
      } finally {
        db.close();
      }
    },
    async stop() {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
