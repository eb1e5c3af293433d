import { describe, expect, it } from 'vitest';
import { toolGranted, toolVerdict } from './policy.js';

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
