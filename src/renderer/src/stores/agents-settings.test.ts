// The Agents and Settings stores against a fake control client: the agents:setup and config:edit calls
// they make, what they keep, conflicts, the admin token's rotation and the desktop-only login item.
import { describe, expect, it } from 'vitest';
import type { AgentSetupResult, AgentsOverview, ConfigSnapshot, KeySummary } from '../../../shared/contract';
import { ControlError } from '../../../shared/control-client';
import { canWrite, createAgentsStore, setupParams } from './agents';
import { CONFLICT_TEXT } from './config';
import { createSettingsStore, DEFAULT_SETTINGS, editsFor, needsRestart, parseOrigins, parseThresholds, readSettings } from './settings';
import { fakeClient } from './fake-client';


const key = (id: string, status: KeySummary['status'] = 'active'): KeySummary =>
  ({ id, name: id, prefix: 'gh_abcdefgh', status }) as KeySummary;

const OVERVIEW: AgentsOverview = { gatewayUrl: 'http://127.0.0.1:4141', routes: [{ name: 'fast', family: 'openai' }], agents: [], otherClients: [], scanned: 0 };

const result = (over: Partial<AgentSetupResult> = {}): AgentSetupResult => ({
  agent: 'codex',
  title: 'Codex',
  gatewayUrl: OVERVIEW.gatewayUrl,
  model: 'fast',
  modelWhy: 'x',
  key: null,
  created: null,
  snippets: [{ path: '/h/.codex/config.toml', text: 'model = "fast"\n' }],
  exports: [],
  notes: [],
  written: null,
  ...over,
});

describe('agents store', () => {
  it('turns a draft into agents:setup params: a new key, an existing key with its pasted secret, or none', () => {
    expect(setupParams('codex', { key: { kind: 'create' }, model: 'fast', smallModel: '', subscription: false }, null)).toEqual({ agent: 'codex', createKey: true, model: 'fast' });
    expect(setupParams('codex', { key: { kind: 'existing', keyId: 'key_1', secret: ' gh_s3cret ' }, model: 'fast', smallModel: 'cheap', subscription: true }, { confirmPaths: ['/h/a'] })).toEqual({
      agent: 'codex',
      keyId: 'key_1',
      key: 'gh_s3cret',
      model: 'fast',
      smallModel: 'cheap',
      subscription: true,
      write: true,
      confirmPaths: ['/h/a'],
    });
    expect(setupParams('aider', { key: { kind: 'none' }, model: '', smallModel: '', subscription: false }, null)).toEqual({ agent: 'aider' });
    expect(canWrite({ key: { kind: 'existing', keyId: 'k', secret: '  ' }, model: '', smallModel: '', subscription: false })).toBe(false);
    expect(canWrite({ key: { kind: 'none' }, model: '', smallModel: '', subscription: false })).toBe(false);
    expect(canWrite({ key: { kind: 'create' }, model: '', smallModel: '', subscription: false })).toBe(true);
  });

  it('reads the agents and the live keys; keeps a setup result per agent; reports a refusal on that agent only', async () => {
    let refuse = false;
    const { client, calls } = fakeClient({
      'agents:list': () => OVERVIEW,
      'keys:list': () => [key('key_a'), key('key_old', 'revoked')],
      'agents:setup': () => {
        if (refuse) throw new ControlError('conflict', 'the files to write changed');
        return result({ written: [{ path: '/h/.codex/config.toml', changed: true, backup: null, secret: true, diff: '+x' }] });
      },
    });
    const s = createAgentsStore(client);
    await s.getState().refresh();
    expect(s.getState().overview).toEqual(OVERVIEW);
    expect(s.getState().keys.map((k) => k.id)).toEqual(['key_a']);
    const ok = await s.getState().setup('codex', { key: { kind: 'create' }, model: 'fast', smallModel: '', subscription: false }, { confirmPaths: ['/h/.codex/config.toml'] });
    expect(ok).toBe(true);
    expect(s.getState().results.codex?.written?.[0]?.changed).toBe(true);
    expect(calls.find((c) => c.method === 'agents:setup')?.params).toEqual({ agent: 'codex', createKey: true, model: 'fast', write: true, confirmPaths: ['/h/.codex/config.toml'] });
    // A write re-reads the list (the files changed).
    await Promise.resolve();
    expect(calls.filter((c) => c.method === 'agents:list')).toHaveLength(2);
    refuse = true;
    expect(await s.getState().setup('gemini', { key: { kind: 'none' }, model: 'fast', smallModel: '', subscription: false }, null)).toBe(false);
    expect(s.getState().errors).toEqual({ codex: undefined, gemini: 'the files to write changed' });
    expect(s.getState().busy.gemini).toBeUndefined();
    s.getState().dismiss('codex');
    expect(s.getState().results.codex).toBeUndefined();
  });

  it('re-reads on key and config changes at once, on traffic at most every 15 s', async () => {
    let t = 0;
    const { client, calls } = fakeClient({ 'agents:list': () => OVERVIEW, 'keys:list': () => [] });
    const s = createAgentsStore(client, () => t);
    const lists = () => calls.filter((c) => c.method === 'agents:list').length;
    // Nothing is read for a view never opened.
    s.getState().onEvent({ event: 'keys:changed', data: { id: 'k', change: 'created' } });
    expect(lists()).toBe(0);
    await s.getState().refresh();
    const traffic = { event: 'request:completed', data: { requestId: 'r', keyId: null, model: null, provider: null, status: 200, outcome: 'ok', latencyMs: 1, costUsd: null, inputTokens: 1, outputTokens: 1 } } as const;
    t = 5_000;
    s.getState().onEvent(traffic);
    expect(lists()).toBe(1);
    t = 15_000;
    s.getState().onEvent(traffic);
    expect(lists()).toBe(2);
    s.getState().onEvent({ event: 'keys:changed', data: { id: 'k', change: 'created' } });
    expect(lists()).toBe(3);
  });
});

const TEXT = `version: 1
# the user's comment
server: { port: 4242, allowedOrigins: ["http://localhost:5173"] }
guardrails:
  pii: block
  output: enforce
alerts: { thresholds: [80, 100] }
`;
const snap = (text: string, hash = 'h1'): ConfigSnapshot => ({ path: '/d/gatehouse.yaml', text, hash, appliedHash: hash, appliedAt: '2026-11-24T10:00:00.000Z', lastError: null });
const status = { version: '0.1.0', url: 'http://127.0.0.1:4242', pid: 1, startedAt: '2026-11-24T10:00:00.000Z', dataDir: '/d', configPath: '/d/gatehouse.yaml', providers: [], targets: [], ledger: { events: 0, headHash: null } };

describe('settings', () => {
  it('reads the file with the schema defaults where it says nothing', () => {
    expect(readSettings(TEXT)).toEqual({
      host: '127.0.0.1',
      port: 4242,
      allowedOrigins: ['http://localhost:5173'],
      approvalsTimeoutSeconds: 50,
      guardrails: { secrets: 'mask-and-restore', cards: 'mask-and-restore', pii: 'block', injection: 'warn', output: 'enforce' },
      thresholds: [80, 100],
    });
    expect(readSettings('server: [')).toEqual(DEFAULT_SETTINGS);
  });

  it('edits only what changed; host and port need a restart', () => {
    const current = readSettings(TEXT);
    expect(editsFor(current, { ...current })).toEqual([]);
    const ops = editsFor(current, { port: 4343, allowedOrigins: ['http://localhost:5173'], guardrails: { ...current.guardrails, secrets: 'block' } });
    expect(ops).toEqual([
      { op: 'set', path: ['server', 'port'], value: 4343 },
      { op: 'set', path: ['guardrails', 'secrets'], value: 'block' },
    ]);
    expect(needsRestart(ops)).toBe(true);
    expect(needsRestart(editsFor(current, { approvalsTimeoutSeconds: 30 }))).toBe(false);
    expect(parseThresholds('50, 80 100')).toEqual([50, 80, 100]);
    expect(parseThresholds('0, 80')).toBeNull();
    expect(parseThresholds('')).toBeNull();
    expect(parseOrigins('http://a.test\nhttps://b.test:8443')).toEqual({ origins: ['http://a.test', 'https://b.test:8443'] });
    expect(parseOrigins('ftp://x')).toEqual({ bad: 'ftp://x' });
  });

  it('saves through config:edit with the hash it read, says when a restart is needed, and reloads on a conflict', async () => {
    let conflict = false;
    const { client, calls } = fakeClient({
      'status:get': () => status,
      'config:get': () => snap(TEXT),
      'config:edit': () => {
        if (conflict) throw new ControlError('conflict', 'changed on disk');
        return snap(TEXT.replace('port: 4242', 'port: 4343'), 'h2');
      },
    });
    const s = createSettingsStore(client, undefined);
    await s.getState().refresh();
    expect(await s.getState().save('Server settings', { port: 4343 })).toBe(true);
    expect(calls.find((c) => c.method === 'config:edit')?.params).toEqual({ baseHash: 'h1', ops: [{ op: 'set', path: ['server', 'port'], value: 4343 }] });
    expect(s.getState()).toMatchObject({ restartNeeded: true, view: { port: 4343 }, snapshot: { hash: 'h2' } });
    expect(s.getState().notice).toMatch(/saved to \/d\/gatehouse.yaml/);
    conflict = true;
    expect(await s.getState().save('Approvals', { approvalsTimeoutSeconds: 20 })).toBe(false);
    expect(s.getState().error).toBe(CONFLICT_TEXT);
    expect(s.getState().snapshot?.hash).toBe('h1');
  });

  it('rotates the admin token, reporting what ended; the login item is the desktop app\'s only', async () => {
    const { client } = fakeClient({
      'status:get': () => status,
      'config:get': () => snap(TEXT),
      'admin:rotate-token': () => ({ rotatedAt: '2026-11-24T10:00:00.000Z', sessionsEnded: 3, relogin: '/?token=abc' }),
    });
    const web = createSettingsStore(client, undefined);
    expect(web.getState().loginItem).toEqual({ available: false, enabled: null, error: null });
    expect(await web.getState().rotateToken()).toMatchObject({ relogin: '/?token=abc' });
    expect(web.getState().notice).toMatch(/3 console sessions and login links were ended/);

    let open = false;
    const desktop = createSettingsStore(client, { loginItem: { get: async () => open, set: async (v) => (open = v) } });
    await desktop.getState().refresh();
    expect(desktop.getState().loginItem).toEqual({ available: true, enabled: false, error: null });
    await desktop.getState().setLoginItem(true);
    expect(desktop.getState().loginItem.enabled).toBe(true);
    expect(open).toBe(true);
  });
});
