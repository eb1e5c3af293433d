// The console's stores against a fake control client: what each asks the gateway and how events change it.
import { describe, expect, it, vi } from 'vitest';
import type { AuditRecord, PendingApproval } from '../../../shared/contract';
import { ControlError } from '../../../shared/control-client';
import { createApprovalsStore } from './approvals';
import { cleanFilters, createAuditStore, recordSummary } from './audit';
import { createBudgetsStore, meterLevel } from './budgets';
import { createKeysStore, emptyPolicyForm, filledPolicy, parseGlobs, policyFormOf, policyOfForm } from './keys';
import { liveRates, monthStart, perMinute, type RequestDone } from './status';
import { fakeClient } from './fake-client';


function approval(id: string, requestedAt: string, over: Partial<PendingApproval> = {}): PendingApproval {
  return {
    id,
    server: 'every',
    tool: 'echo',
    name: 'every__echo',
    arguments: { message: 'hi' },
    reason: 'tools["echo"] = ask',
    findings: [],
    keyId: 'key_1',
    keyName: 'laptop',
    user: null,
    team: null,
    session: 's1',
    requestedAt,
    expiresAt: '2026-11-24T10:01:00.000Z',
    ...over,
  };
}

describe('approvals store', () => {
  it('stacks requested approvals newest first and a new arrival takes the dialog', () => {
    const { client } = fakeClient({});
    const s = createApprovalsStore(client, () => 1000);
    s.getState().onEvent({ event: 'approval:requested', data: approval('a', '2026-11-24T10:00:00.000Z') });
    s.getState().show('a');
    s.getState().onEvent({ event: 'approval:requested', data: approval('b', '2026-11-24T10:00:05.000Z') });
    s.getState().onEvent({ event: 'approval:requested', data: approval('b', '2026-11-24T10:00:05.000Z') });
    expect(s.getState().pending.map((p) => p.id)).toEqual(['b', 'a']);
    expect(s.getState().focus).toBeNull();
    expect(s.getState().pending[0]!.receivedAt).toBe(1000);
  });

  it('removes an approval that is withdrawn, timed out or answered elsewhere, with a notice saying so', () => {
    const { client } = fakeClient({});
    const s = createApprovalsStore(client);
    for (const id of ['w', 't', 'e']) s.getState().onEvent({ event: 'approval:requested', data: approval(id, '2026-11-24T10:00:00.000Z') });
    s.getState().onEvent({ event: 'approval:resolved', data: { id: 'w', outcome: 'withdrawn', decision: null, by: 'gatehouse' } });
    s.getState().onEvent({ event: 'approval:resolved', data: { id: 't', outcome: 'timeout', decision: null, by: 'gatehouse' } });
    s.getState().onEvent({ event: 'approval:resolved', data: { id: 'e', outcome: 'approved', decision: 'once', by: 'cli' } });
    s.getState().onEvent({ event: 'approval:resolved', data: { id: 'unknown', outcome: 'denied', decision: 'deny', by: 'cli' } });
    expect(s.getState().pending).toEqual([]);
    expect(s.getState().notices.map((n) => n.text)).toEqual([
      'The call to every/echo was withdrawn: the client cancelled it.',
      'The call to every/echo was denied: no answer in time.',
      'The call to every/echo was allowed elsewhere (cli).',
    ]);
    s.getState().dismissNotice(s.getState().notices[0]!.id);
    expect(s.getState().notices).toHaveLength(2);
  });

  it('sends a decision (with the always pattern) and needs no notice for its own answer', async () => {
    const { client, calls } = fakeClient({ 'approvals:decide': () => approval('a', '') });
    const s = createApprovalsStore(client);
    s.getState().onEvent({ event: 'approval:requested', data: approval('a', '2026-11-24T10:00:00.000Z') });
    expect(await s.getState().decide('a', 'always', { message: 'h*' })).toBe(true);
    expect(calls).toEqual([{ method: 'approvals:decide', params: { id: 'a', decision: 'always', where: { message: 'h*' } } }]);
    s.getState().onEvent({ event: 'approval:resolved', data: { id: 'a', outcome: 'approved', decision: 'always', by: 'console' } });
    expect(s.getState().pending).toEqual([]);
    expect(s.getState().notices).toEqual([]);
    expect(s.getState().deciding).toEqual({});
  });

  it('an answer to an approval that is gone removes it with a notice; other failures keep it with the error', async () => {
    let fail: Error = new ControlError('not_found', 'no pending approval "a"');
    const { client } = fakeClient({
      'approvals:decide': () => {
        throw fail;
      },
    });
    const s = createApprovalsStore(client);
    s.getState().onEvent({ event: 'approval:requested', data: approval('a', '2026-11-24T10:00:00.000Z') });
    s.getState().onEvent({ event: 'approval:requested', data: approval('b', '2026-11-24T10:00:01.000Z') });
    expect(await s.getState().decide('a', 'once')).toBe(false);
    expect(s.getState().pending.map((p) => p.id)).toEqual(['b']);
    expect(s.getState().notices[0]!.text).toMatch(/no longer waiting/);
    fail = new ControlError('internal', 'boom');
    expect(await s.getState().decide('b', 'deny')).toBe(false);
    expect(s.getState().pending.map((p) => p.id)).toEqual(['b']);
    expect(s.getState().error).toBe('Could not send the answer: boom');
  });

  it('refresh reads approvals:list and keeps when each was first seen', async () => {
    let now = 5;
    const { client } = fakeClient({ 'approvals:list': () => [approval('a', '2026-11-24T10:00:00.000Z'), approval('b', '2026-11-24T10:00:09.000Z')] });
    const s = createApprovalsStore(client, () => now);
    s.getState().onEvent({ event: 'approval:requested', data: approval('a', '2026-11-24T10:00:00.000Z') });
    now = 99;
    await s.getState().refresh();
    expect(s.getState().pending.map((p) => [p.id, p.receivedAt])).toEqual([
      ['b', 99],
      ['a', 5],
    ]);
  });
});

describe('keys store', () => {
  it('creates a key, holds its secret until dismissed, and lists it', async () => {
    const key = { id: 'key_1', name: 'laptop' } as never;
    const { client, calls } = fakeClient({ 'keys:create': () => ({ key, secret: 'gh_secret' }) });
    const s = createKeysStore(client);
    expect(await s.getState().create({ name: 'laptop', budgets: [{ amountUsd: 5, window: 'day' }] })).toBe(true);
    expect(calls[0]).toEqual({ method: 'keys:create', params: { name: 'laptop', budgets: [{ amountUsd: 5, window: 'day' }] } });
    expect(s.getState().created).toEqual({ key, secret: 'gh_secret', how: 'created' });
    expect(s.getState().keys).toEqual([key]);
    s.getState().dismissSecret();
    expect(s.getState().created).toBeNull();
  });

  it('says why a key could not be created', async () => {
    const { client } = fakeClient({
      'keys:create': () => {
        throw new ControlError('invalid_params', 'keys:create: name: too long');
      },
    });
    const s = createKeysStore(client);
    expect(await s.getState().create({ name: 'x' })).toBe(false);
    expect(s.getState().saveError).toBe('keys:create: name: too long');
    expect(s.getState().saving).toBe(false);
  });

  it('edits a key in place, and rotating shows the new secret once', async () => {
    const before = { id: 'key_1', name: 'laptop', rpm: null } as never;
    const after = { id: 'key_1', name: 'laptop', rpm: 60 } as never;
    const { client, calls } = fakeClient({ 'keys:list': () => [before], 'users:list': () => [], 'teams:list': () => [], 'keys:update': () => after, 'keys:rotate': () => ({ key: after, secret: 'gh_new' }) });
    const s = createKeysStore(client);
    await s.getState().refresh();
    expect(await s.getState().update({ id: 'key_1', rpm: 60 })).toBe(true);
    expect(s.getState().keys).toEqual([after]);
    await s.getState().rotate('key_1');
    expect(s.getState().created).toEqual({ key: after, secret: 'gh_new', how: 'rotated' });
    expect(calls.map((c) => c.method)).toEqual(['keys:list', 'users:list', 'teams:list', 'keys:update', 'keys:rotate']);
  });

  it('creates and edits users and teams (a team never gets an email), and disables them', async () => {
    const alice = { id: 'u1', name: 'alice', status: 'active' } as never;
    const platform = { id: 't1', name: 'platform', status: 'active' } as never;
    const { client, calls } = fakeClient({
      'users:create': () => alice,
      'users:update': () => ({ ...(alice as object), email: 'a@x.dev' }),
      'teams:create': () => platform,
      'teams:disable': () => ({ ...(platform as object), status: 'disabled' }),
    });
    const s = createKeysStore(client);
    expect(await s.getState().savePerson('user', { name: 'alice', rpm: 10 })).toBe(true);
    expect(await s.getState().savePerson('user', { id: 'u1', name: 'alice', email: 'a@x.dev' })).toBe(true);
    expect(await s.getState().savePerson('team', { name: 'platform', email: 'dropped@x.dev' } as never)).toBe(true);
    await s.getState().setPersonDisabled('team', 't1', true);
    expect(calls).toEqual([
      { method: 'users:create', params: { name: 'alice', rpm: 10 } },
      { method: 'users:update', params: { id: 'u1', name: 'alice', email: 'a@x.dev' } },
      { method: 'teams:create', params: { name: 'platform' } },
      { method: 'teams:disable', params: { id: 't1' } },
    ]);
    expect(s.getState().users).toEqual([{ id: 'u1', name: 'alice', status: 'active', email: 'a@x.dev' }]);
    expect(s.getState().teams).toEqual([{ id: 't1', name: 'platform', status: 'disabled' }]);
  });

  it('reads the policy form: budgets, limits and globs, with what is wrong said plainly', () => {
    const form = { ...emptyPolicyForm(), models: 'fast, anthropic/*', budgets: [{ amount: '5', window: 'day' as const }, { amount: '', window: 'week' as const }], rpm: '60' };
    expect(policyOfForm(form)).toEqual({ ok: true, value: { models: ['fast', 'anthropic/*'], mcpTools: [], budgets: [{ amountUsd: 5, window: 'day' }], rpm: 60, tpm: null, maxConcurrency: null } });
    expect(policyOfForm({ ...form, rpm: '1.5' })).toEqual({ ok: false, error: 'Requests per minute must be a whole number of 1 or more, or empty for no limit (got "1.5").' });
    expect(policyOfForm({ ...form, budgets: [{ amount: '0', window: 'day' }] })).toMatchObject({ ok: false, error: expect.stringContaining('The day budget must be an amount in USD above 0') });
    expect(policyOfForm({ ...form, budgets: [{ amount: '1', window: 'day' }, { amount: '2', window: 'day' }] })).toEqual({ ok: false, error: 'Two budgets per day: keep one.' });
    // A new key sends only what was filled in; an edit sends everything, so clearing a field clears it.
    const parsed = policyOfForm(form);
    expect(parsed.ok && filledPolicy(parsed.value)).toEqual({ models: ['fast', 'anthropic/*'], budgets: [{ amountUsd: 5, window: 'day' }], rpm: 60 });
    // And back: an existing key's fields as the form shows them.
    expect(policyFormOf({ models: [], mcpTools: ['fs__*'], budgets: [], rpm: null, tpm: 1000, maxConcurrency: 2 })).toEqual({ models: '', mcpTools: 'fs__*', budgets: [{ amount: '', window: 'month' }], rpm: '', tpm: '1000', maxConcurrency: '2' });
  });

  it('parses model globs as typed', () => {
    expect(parseGlobs(' fast, anthropic/*  gpt-4o ,,')).toEqual(['fast', 'anthropic/*', 'gpt-4o']);
  });
});

describe('budgets store', () => {
  it('re-reads the meters once after a burst of traffic', async () => {
    vi.useFakeTimers();
    try {
      const { client, calls } = fakeClient({ 'budgets:list': () => [] });
      const s = createBudgetsStore(client, 500);
      const done = { event: 'request:completed', data: { requestId: 'r', keyId: 'k', model: null, provider: null, status: 200, outcome: 'ok', latencyMs: 1, costUsd: 0.1, inputTokens: 1, outputTokens: 1 } } as const;
      for (let i = 0; i < 5; i++) s.getState().onEvent(done);
      s.getState().onEvent({ event: 'secrets:changed', data: { name: 'x', change: 'set' } });
      await vi.advanceTimersByTimeAsync(600);
      expect(calls.map((c) => c.method)).toEqual(['budgets:list']);
      expect(s.getState().loaded).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('colours a meter amber from 80 % and red at 100 %, reservations included', () => {
    expect(meterLevel({ spentUsd: 1, reservedUsd: 0, limitUsd: 10 })).toEqual({ spent: 0.1, reserved: 0, level: 'ok' });
    expect(meterLevel({ spentUsd: 6, reservedUsd: 2, limitUsd: 10 }).level).toBe('warn');
    expect(meterLevel({ spentUsd: 9, reservedUsd: 2, limitUsd: 10 })).toEqual({ spent: 0.9, reserved: expect.closeTo(0.1, 9), level: 'over' });
    expect(meterLevel({ spentUsd: 12, reservedUsd: 0, limitUsd: 10 })).toMatchObject({ spent: 1, reserved: 0, level: 'over' });
  });
});

describe('audit store', () => {
  const rec = (seq: number): AuditRecord => ({ seq, at: '2026-11-24T10:00:00.000Z', type: 'mcp.call', hash: 'h', body: { server: 'every', tool: 'echo', decision: 'ask', decidedBy: 'person: console (once)', outcome: 'ok' } });

  it('sends the filters without empty fields, pages with nextBefore, and drops answers to older filters', async () => {
    const pending: ((v: unknown) => void)[] = [];
    const { client, calls } = fakeClient({ 'audit:list': () => new Promise((r) => pending.push(r)) });
    const s = createAuditStore(client);
    const first = s.getState().setFilters({ type: 'mcp.call', q: '  ', keyId: '' });
    const second = s.getState().setFilters({ type: 'llm.request' });
    pending[1]!({ records: [rec(9), rec(8)], nextBefore: 8 });
    pending[0]!({ records: [rec(1)], nextBefore: null });
    await Promise.all([first, second]);
    expect(calls.map((c) => c.params)).toEqual([
      { type: 'mcp.call', limit: 200 },
      { type: 'llm.request', limit: 200 },
    ]);
    expect(s.getState().records.map((r) => r.seq)).toEqual([9, 8]);
    const more = s.getState().loadMore();
    pending[2]!({ records: [rec(7)], nextBefore: null });
    await more;
    expect(calls[2]!.params).toEqual({ type: 'llm.request', limit: 200, before: 8 });
    expect(s.getState().records.map((r) => r.seq)).toEqual([9, 8, 7]);
    await s.getState().loadMore();
    expect(calls).toHaveLength(3);
  });

  it('verifies the chain and marks the list stale when records are written', async () => {
    const { client } = fakeClient({ 'audit:verify': () => ({ status: 'intact', records: 3, firstSeq: 1, lastSeq: 3, segments: [], checkpoints: [], notes: [] }) });
    const s = createAuditStore(client);
    await s.getState().verifyChain();
    expect(s.getState().verify?.status).toBe('intact');
    s.getState().onEvent({ event: 'keys:changed', data: { id: 'k', change: 'created' } });
    expect(s.getState().stale).toBe(true);
  });

  it('summarises records in one line', () => {
    expect(recordSummary(rec(1))).toBe('every/echo · ask (person: console (once)) · ok');
    expect(recordSummary({ ...rec(2), type: 'llm.request', body: { model: 'gpt-4o-mini', status: 200, outcome: 'ok' } })).toBe('gpt-4o-mini · 200 ok');
    expect(cleanFilters({ q: ' x ', tool: '', type: undefined })).toEqual({ q: 'x' });
  });
});

describe('status helpers', () => {
  const done = (receivedAt: number, latencyMs: number, status = 200): RequestDone => ({
    requestId: `r${receivedAt}`,
    keyId: null,
    model: null,
    provider: null,
    status,
    outcome: status < 400 ? 'ok' : 'upstream_error',
    latencyMs,
    costUsd: null,
    inputTokens: 0,
    outputTokens: 0,
    receivedAt,
  });
  it('computes requests per minute, errors and the median latency over the last minutes', () => {
    const now = 10 * 60_000;
    const recent = [done(now - 9 * 60_000, 1), done(now - 60_000, 30), done(now - 30_000, 10, 502), done(now - 1000, 20)];
    expect(liveRates(recent, now)).toEqual({ perMinute: 0.6, errors: 1, p50Ms: 20 });
    expect(perMinute(recent, now, 3)).toEqual([0, 1, 2]);
    expect(liveRates([], now).p50Ms).toBeNull();
    expect(monthStart(new Date('2026-11-24T23:59:00Z'))).toBe('2026-11-01');
  });
});
