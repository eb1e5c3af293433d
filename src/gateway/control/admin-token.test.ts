// admin:rotate-token: the file in the data directory changes, the old token and every console session stop working, and a console caller can sign in again.
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminAuth } from '../http/admin.js';
import { adminToken, rotateAdminToken } from '../instance.js';
import { KeyIndex } from '../policy/keys.js';
import { openDatabase, type Db } from '../store/db.js';
import { listKeys } from '../store/keys.js';
import { createLedger } from '../store/ledger.js';
import { createControlService, type ControlService } from './service.js';

let dir: string;
let db: Db;
let auth: AdminAuth;
let control: ControlService;

function unused(): never {
  throw new Error('not used by these tests');
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as IncomingMessage;
const withCookie = (session: string) => ({ headers: { cookie: `gatehouse_session=${session}` } }) as unknown as IncomingMessage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-admin-token-'));
  db = openDatabase(join(dir, 't.sqlite'));
  auth = new AdminAuth(adminToken(dir));
  control = createControlService({
    db,
    ledger: createLedger(db, { now: () => new Date() }),
    keys: new KeyIndex(() => listKeys(db)),
    now: () => new Date('2026-11-24T10:00:00.000Z'),
    secrets: unused,
    onSecretChanged: unused,
    config: { snapshot: unused, validate: unused, edit: unused },
    status: unused,
    consoleLoginUrl: () => {
      const { token, expiresAt } = auth.mintLogin();
      return { url: `http://127.0.0.1:4141/?token=${token}`, expiresAt: new Date(expiresAt).toISOString() };
    },
    approvals: { pending: unused, decide: unused },
    pins: { quarantined: unused, accept: unused },
    audit: { key: () => null, unkeyedReason: () => 'no keychain in these tests', lookup: async () => null },
    adminToken: { rotate: () => ({ sessionsEnded: auth.rotate(rotateAdminToken(dir)) }) },
  });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('admin:rotate-token', () => {
  it('replaces the token file (0600); only the new token and sessions made after it are accepted', async () => {
    const old = adminToken(dir);
    const session = auth.redeemLogin(auth.mintLogin().token)!;
    const unusedLink = auth.mintLogin().token;
    expect(auth.check(bearer(old))).toBe('token');
    expect(auth.check(withCookie(session))).toBe('session');

    const out = await control.call('admin:rotate-token', {}, 'admin-api');
    expect(out).toEqual({ rotatedAt: '2026-11-24T10:00:00.000Z', sessionsEnded: 2, relogin: null });
    const fresh = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
    // What the CLI reads next time is the new token.
    expect(adminToken(dir)).toBe(fresh);
    expect(auth.check(bearer(old))).toBeNull();
    expect(auth.check(bearer(fresh))).toBe('token');
    expect(auth.check(withCookie(session))).toBeNull();
    expect(auth.redeemLogin(unusedLink)).toBeNull();

    const recorded = db.prepare("SELECT body FROM events WHERE type = 'admin.token.rotated'").all() as { body: string }[];
    expect(recorded.map((r) => JSON.parse(r.body))).toEqual([expect.objectContaining({ type: 'admin.token.rotated', actor: 'admin-api', sessionsEnded: 2 })]);
    expect(recorded[0]!.body).not.toContain(fresh);
    expect(recorded[0]!.body).not.toContain(old);
  });

  it('hands a console caller a one-time link, made under the new token, to sign in again', async () => {
    const session = auth.redeemLogin(auth.mintLogin().token)!;
    const out = await control.call('admin:rotate-token', {}, 'console');
    expect(out.sessionsEnded).toBe(1);
    expect(out.relogin).toMatch(/^\/\?token=[A-Za-z0-9_-]+$/);
    expect(auth.check(withCookie(session))).toBeNull();
    const again = auth.redeemLogin(new URLSearchParams(out.relogin!.slice(2)).get('token')!);
    expect(again).not.toBeNull();
    expect(auth.check(withCookie(again!))).toBe('session');
    // The link works once.
    expect(auth.redeemLogin(new URLSearchParams(out.relogin!.slice(2)).get('token')!)).toBeNull();
  });
});
