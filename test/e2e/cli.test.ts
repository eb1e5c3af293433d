// The CLI as a new user meets it: serve, keys through the running gateway, exit codes, kill -9.
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve } from '../helpers/cli.js';
import { configFor } from '../helpers/gateway.js';

let mock: MockOpenAI;
const dirs: string[] = [];
const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };

function dataDir(config?: string): string {
  const d = mkdtempSync(join(tmpdir(), 'gh-cli-'));
  dirs.push(d);
  if (config !== undefined) writeFileSync(join(d, 'gatehouse.yaml'), config);
  return d;
}

function ledgerBodies(dir: string, type: string): Record<string, unknown>[] {
  const db = new Database(join(dir, 'gatehouse.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT body FROM events WHERE type = ? ORDER BY seq').all(type) as { body: string }[]).map((r) => JSON.parse(r.body));
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  mock = await startMockOpenAI();
});
afterAll(async () => {
  await mock?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('gatehouse serve with keys made by the CLI', () => {
  it('prints its address and console URL, issues keys through the running gateway, and serves the SDK', async () => {
    const dir = dataDir(configFor(mock.url));
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(served.consoleUrl).toMatch(new RegExp(`^${served.url}/\\?token=[A-Za-z0-9_-]{20,}$`));

      const created = await runCli(['keys', 'create', '--name', 'laptop', '--json', '--data-dir', dir]);
      expect(created.code, created.stderr).toBe(0);
      const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
      expect(key).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
      // It went through the admin API of the running gateway: one writer.
      expect(ledgerBodies(dir, 'admin.key.created').at(-1)).toMatchObject({ actor: 'admin-api', key: { id } });

      const client = new OpenAI({ apiKey: key, baseURL: `${served.url}/v1`, maxRetries: 0 });
      const plain = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
      expect(plain.choices[0]!.message.content).toBe('echo: hi');
      let streamed = '';
      for await (const c of await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'yo' }], stream: true })) {
        streamed += c.choices[0]?.delta?.content ?? '';
      }
      expect(streamed).toBe('echo: yo');

      const list = await runCli(['keys', 'list', '--json', '--data-dir', dir]);
      const keys = JSON.parse(list.stdout) as { id: string; prefix: string }[];
      expect(keys.map((k) => k.id)).toContain(id);
      expect(list.stdout).not.toContain(key);
      expect(key.startsWith(keys[0]!.prefix)).toBe(true);

      // A revocation takes effect on the very next request.
      expect((await runCli(['keys', 'revoke', id, '--data-dir', dir])).code).toBe(0);
      await expect(client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
        OpenAI.AuthenticationError,
      );

      const console = await runCli(['console', '--data-dir', dir]);
      expect(console.stdout).toMatch(/^console: http:\/\/127\.0\.0\.1:\d+\/\?token=/);

      // A second gateway on the same data directory is refused and names the first.
      const second = await runCli(['serve', '--data-dir', dir, '--port', '0'], { env });
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(new RegExp(`already serving this data directory at ${served.url}`));
    } finally {
      await served.kill();
    }
    expect(served.output()).not.toMatch(/gh_[A-Za-z0-9_-]{43}/);
  }, 90_000);

  it('creates keys with no gateway running, which a gateway started later accepts', async () => {
    const dir = dataDir(configFor(mock.url));
    const created = await runCli(['keys', 'create', '--name', 'offline', '--models', 'fast', '--expires', '2099-01-01', '--json', '--data-dir', dir]);
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect(ledgerBodies(dir, 'admin.key.created').at(-1)).toMatchObject({ actor: 'cli' });
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      const client = new OpenAI({ apiKey: key, baseURL: `${served.url}/v1`, maxRetries: 0 });
      await expect(client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })).resolves.toBeTruthy();
    } finally {
      await served.kill();
    }
  }, 60_000);

  it('admin rotate-token replaces the token file (mode 0600) with no gateway running, and records it', async () => {
    const dir = dataDir(configFor(mock.url));
    expect((await runCli(['admin', 'rotate-token', '--data-dir', dir])).code).toBe(0);
    const before = readFileSync(join(dir, 'admin-token'), 'utf8');
    const r = await runCli(['admin', 'rotate-token', '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^admin token rotated at \S+; 0 console session\(s\) and login link\(s\) ended/);
    const after = readFileSync(join(dir, 'admin-token'), 'utf8');
    expect(after).not.toBe(before);
    expect(after.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(ledgerBodies(dir, 'admin.token.rotated').at(-1)).toMatchObject({ actor: 'cli' });
    expect(JSON.stringify(ledgerBodies(dir, 'admin.token.rotated'))).not.toContain(after.trim());
  }, 60_000);

  it('loses none of the requests the clients saw complete when the gateway is killed with SIGKILL', async () => {
    const slow = await startMockOpenAI({ chunks: 4, chunkDelayMs: 2 });
    const dir = dataDir(configFor(slow.url));
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    const { key } = JSON.parse((await runCli(['keys', 'create', '--name', 'load', '--json', '--data-dir', dir])).stdout) as { key: string };
    const client = new OpenAI({ apiKey: key, baseURL: `${served.url}/v1`, maxRetries: 0, timeout: 5000 });
    const completed: string[] = [];
    let failed = 0;
    let stop = false;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop && i < 400; i++) {
        try {
          if (i % 2 === 0) {
            const { response } = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: `w${w} ${i}` }] }).withResponse();
            completed.push(response.headers.get('x-request-id')!);
          } else {
            const { data, response } = await client.chat.completions
              .create({ model: 'fast', messages: [{ role: 'user', content: `w${w} ${i}` }], stream: true })
              .withResponse();
            let text = '';
            for await (const c of data) text += c.choices[0]?.delta?.content ?? '';
            // The SDK ends a stream cleanly only on [DONE]; a cut stream is not a completed reply.
            if (text === `echo: w${w} ${i}`) completed.push(response.headers.get('x-request-id')!);
          }
        } catch {
          failed++;
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await expect.poll(() => completed.length, { timeout: 15_000, interval: 10 }).toBeGreaterThan(150);
    await served.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await slow.close();

    const recorded = new Set(ledgerBodies(dir, 'llm.request').map((e) => e.requestId as string));
    const missing = completed.filter((id) => !recorded.has(id));
    expect(completed.length).toBeGreaterThan(150);
    expect(failed).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});

describe('exit codes and messages', () => {
  it('config validate names every wrong field with its line, and exits 1', async () => {
    const dir = dataDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nserver:\n  port: "eighty"\nproviders:\n  - id: x\n    type: openai-compatable\n    baseUrl: http://127.0.0.1:1/v1\n    colour: blue\n');
    const r = await runCli(['config', 'validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:3:\d+ server\.port/);
    expect(r.stderr).toMatch(/bad\.yaml:6:\d+ providers\[0\]\.type: .*openai-compatable.*openai-compatible/);
    expect(r.stderr).toMatch(/bad\.yaml:8:\d+ .*colour/);
    const good = await runCli(['config', 'validate', join(dir, 'good.yaml')]);
    expect(good.code).toBe(3);
    writeFileSync(join(dir, 'good.yaml'), configFor(mock.url));
    expect((await runCli(['config', 'validate', join(dir, 'good.yaml')])).code).toBe(0);
  });

  it('a usage error exits 2', async () => {
    const r = await runCli(['keys', 'create', '--data-dir', dataDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--name/);
    const b = await runCli(['keys', 'create', '--name', 'x', '--budget', 'lots', '--data-dir', dataDir()]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--budget "lots": expected AMOUNT\/WINDOW/);
  });

  it('a gateway that holds the lock but does not answer exits 3, naming it', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'gatehouse.lock'), JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:9', startedAt: '', version: '' }));
    writeFileSync(join(dir, 'admin-token'), 'x'.repeat(43));
    const r = await runCli(['keys', 'list', '--data-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/does not answer at http:\/\/127\.0\.0\.1:9/);
  });

  it('an invalid config stops serve with the field named', async () => {
    const dir = dataDir('version: 1\nproviders: {}\n');
    const r = await runCli(['serve', '--data-dir', dir, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/providers/);
  });
});
