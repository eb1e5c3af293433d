import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argumentVerdict, toolGranted, toolVerdict } from './policy.js';

describe('toolVerdict', () => {
  const policies = { '*': 'allow', 'write_*': 'ask', 'delete_*': 'deny', 'write_secret*': 'deny' } as const;
  it('takes deny over ask over allow among the patterns that match', () => {
    expect(toolVerdict(policies, 'read_file')).toEqual({ decision: 'allow', rule: 'tools["*"] = allow' });
    expect(toolVerdict(policies, 'write_file')).toEqual({ decision: 'ask', rule: 'tools["write_*"] = ask' });
    expect(toolVerdict(policies, 'delete_file').decision).toBe('deny');
    expect(toolVerdict(policies, 'write_secrets')).toEqual({ decision: 'deny', rule: 'tools["write_secret*"] = deny' });
  });
  it('asks about a tool no pattern names', () => {
    expect(toolVerdict({ echo: 'allow' }, 'add').decision).toBe('ask');
    expect(toolVerdict({}, 'echo').decision).toBe('ask');
  });
});

describe('toolGranted', () => {
  it('matches globs over server__tool; no grants means all', () => {
    expect(toolGranted([], 'every', 'echo')).toBe(true);
    expect(toolGranted(['every__echo'], 'every', 'echo')).toBe(true);
    expect(toolGranted(['every__echo'], 'every', 'add')).toBe(false);
    expect(toolGranted(['fs__*'], 'fs', 'read_file')).toBe(true);
    expect(toolGranted(['fs__*'], 'every', 'echo')).toBe(false);
  });
});

describe('argumentVerdict', () => {
  const base = mkdtempSync(join(tmpdir(), 'gh-argrules-'));
  const project = join(base, 'project');
  const secret = join(base, 'secret');
  mkdirSync(join(project, 'src'), { recursive: true });
  mkdirSync(secret);
  // A link inside the project that leads out of it.
  symlinkSync(secret, join(project, 'escape'));
  const rules = [{ tool: 'write_*', arguments: ['path'], outside: [project], action: 'ask' as const }];

  it('lets paths inside the directory through, relative ones taken against it', () => {
    expect(argumentVerdict(rules, 'write_file', { path: join(project, 'src', 'a.ts') })).toBeUndefined();
    expect(argumentVerdict(rules, 'write_file', { path: 'src/new-dir/b.ts' })).toBeUndefined();
    expect(argumentVerdict(rules, 'read_file', { path: '/etc/passwd' })).toBeUndefined();
  });

  it('asks for a path outside it, however it is spelt: absolute, .. or a symlink', () => {
    expect(argumentVerdict(rules, 'write_file', { path: '/etc/passwd' })).toMatchObject({ decision: 'ask', rule: expect.stringMatching(/^rules: path = "\/etc\/passwd" of write_\* is outside/) });
    expect(argumentVerdict(rules, 'write_file', { path: join(project, 'src', '..', '..', 'secret', 'x') })?.decision).toBe('ask');
    expect(argumentVerdict(rules, 'write_file', { path: 'escape/id_rsa' })).toMatchObject({ decision: 'ask', rule: expect.stringContaining(secret) });
    expect(argumentVerdict(rules, 'write_file', { path: [join(project, 'ok'), '~/.ssh/config'] })?.decision).toBe('ask');
  });

  it('takes deny over ask when several rules are broken', () => {
    const both = [...rules, { tool: 'write_*', arguments: ['path'], outside: [join(project, 'src')], action: 'deny' as const }];
    expect(argumentVerdict(both, 'write_file', { path: '/tmp/x' })?.decision).toBe('deny');
  });
});
