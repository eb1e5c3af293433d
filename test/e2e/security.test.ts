// Hardened localhost: Host and Origin checks on every route, admin auth, console login, throttling.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { adminToken } from '../../src/gateway/instance.js';

let mock: MockOpenAI;
let gw: TestGateway;
let port: number;
let key: string;
let token: string;

beforeAll(async () => {
  mock = await startMockOpenAI();
  gw = await startTestGateway(configFor(mock.url));
  port = Number(new URL(gw.url).port);
  key = (await gw.newKey()).secret;
  token = adminToken(gw.dataDir);
});
afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch, because fetch may not set Host or Origin freely. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ROUTES: [string, string][] = [
  ['GET', '/healthz'],
  ['GET', '/'],
  ['GET', '/?token=abc'],
  ['GET', '/v1/models'],
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/messages'],
  ['POST', '/v1/responses'],
  ['GET', '/v1beta/models'],
  ['POST', '/mcp'],
  ['GET', '/metrics'],
  ['POST', '/admin/api/status/get'],
  ['GET', '/admin/api/events'],
  ['OPTIONS', '/v1/chat/completions'],
  ['GET', '/no/such/route'],
];

describe('every route refuses foreign origins and rebinding hosts', () => {
  for (const [method, path] of ROUTES) {
    it(`${method} ${path}`, async () => {
      const auth = { authorization: `Bearer ${path.startsWith('/admin') ? token : key}` };
      for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${port + 1}`, `https://localhost:${port}`]) {
        const r = await send(method, path, { ...auth, origin });
        expect(r.status, `Origin ${origin}`).toBe(403);
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
      }
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.nip.io:${port}`, 'localhost.evil.example']) {
        const r = await send(method, path, { ...auth, host });
        expect(r.status, `Host ${host}`).toBe(403);
        expect(JSON.parse(r.body).error.message).toMatch(/^Host ".*" is not allowed/);
      }
    });
  }

  it('answers its own origin and every loopback name', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await send('GET', '/healthz', { host })).status, host).toBe(200);
    }
    expect((await send('GET', '/healthz', { origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('records refusals in the ledger', async () => {
    await send('GET', '/healthz', { origin: 'http://attacker.example' });
    await expect
      .poll(() => gw.events('http.refused').some((e) => e.origin === 'http://attacker.example' && e.code === 'ORIGIN_FORBIDDEN'))
      .toBe(true);
  });
});

function upgrade(headers: Record<string, string>, path = '/v1/responses'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: ${headers.host ?? `127.0.0.1:${port}`}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        ...(headers.origin ? [`Origin: ${headers.origin}`] : []),
        '',
        '',
      ];
      socket.write(lines.join('\r\n'));
    });
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('end', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('WebSocket upgrades pass the same guard', () => {
  it('refuses a foreign origin and a rebinding host', async () => {
    expect(await upgrade({ origin: 'http://evil.example' })).toMatch(/^HTTP\/1.1 403/);
    expect(await upgrade({ origin: 'null' })).toMatch(/^HTTP\/1.1 403/);
    expect(await upgrade({ host: 'evil.example' })).toMatch(/^HTTP\/1.1 403/);
    // Past the guard: the Responses API's WebSocket mode wants a key; no other path takes a WebSocket.
    expect(await upgrade({})).toMatch(/^HTTP\/1.1 401/);
    expect(await upgrade({}, '/v1/chat/completions')).toMatch(/^HTTP\/1.1 404/);
  });
});

describe('the admin API', () => {
  it('refuses requests without the admin token, and a virtual key is not an admin token', async () => {
    expect((await send('POST', '/admin/api/status/get', {}, '{}')).status).toBe(401);
    expect((await send('POST', '/admin/api/status/get', { authorization: `Bearer ${key}` }, '{}')).status).toBe(401);
    const ok = await send('POST', '/admin/api/status/get', { authorization: `Bearer ${token}` }, '{}');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ url: gw.url, pid: process.pid });
  });

  it('names bad parameters and unknown methods', async () => {
    const bad = await send('POST', '/admin/api/keys/create', { authorization: `Bearer ${token}` }, '{"name": 5}');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/keys:create: name/);
    const unknown = await send('POST', '/admin/api/keys/explode', { authorization: `Bearer ${token}` }, '{}');
    expect(unknown.status).toBe(404);
  });

  it('the token file is readable by the user only, and at least 128 bits', async () => {
    const { statSync } = await import('node:fs');
    const { join } = await import('node:path');
    expect(statSync(join(gw.dataDir, 'admin-token')).mode & 0o077).toBe(0);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });
});

describe('console login', () => {
  it('trades the one-time URL for an HttpOnly SameSite=Strict cookie, once', async () => {
    const loginPath = new URL(gw.consoleUrl).pathname + new URL(gw.consoleUrl).search;
    const first = await send('GET', loginPath);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;

    const api = await send('POST', '/admin/api/status/get', { cookie }, '{}');
    expect(api.status).toBe(200);
    const page = await send('GET', '/', { cookie });
    expect(page.status).toBe(200);

    const again = await send('GET', loginPath);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    // A cookie does not help a foreign page: the Origin check comes first.
    expect((await send('POST', '/admin/api/status/get', { cookie, origin: 'http://evil.example' }, '{}')).status).toBe(403);
  });
});

describe('failed authentication is rate-limited', () => {
  it('blocks an address after repeated bad keys, with retry-after', async () => {
    const g = await startTestGateway(configFor(mock.url));
    const p = Number(new URL(g.url).port);
    const good = (await g.newKey()).secret;
    const hit = (k: string): Promise<Reply> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: p, path: '/v1/models', headers: { authorization: `Bearer ${k}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect((await hit(good)).status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await hit(`gh_wrong${i}`)).status);
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
      const blocked = await hit(good);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await g.stop();
    }
  });
});
