import { describe, expect, it } from 'vitest';
import { exposeTools, MAX_TOOL_NAME } from './names.js';
import { unpinnedPackage } from './upstreams.js';

describe('exposeTools', () => {
  it('prefixes each tool with its server', () => {
    const { exposed, problems } = exposeTools(
      [
        { serverId: 'every', tool: 'echo' },
        { serverId: 'fs', tool: 'read_file' },
      ],
      true,
    );
    expect([...exposed.keys()]).toEqual(['every__echo', 'fs__read_file']);
    expect(exposed.get('fs__read_file')).toEqual({ name: 'fs__read_file', serverId: 'fs', tool: 'read_file' });
    expect(problems).toEqual([]);
  });

  it('gives a name two tools would share to neither, and reports both', () => {
    const { exposed, problems } = exposeTools(
      [
        { serverId: 'a', tool: 'b__c' },
        { serverId: 'a__b', tool: 'c' },
        { serverId: 'a', tool: 'ok' },
      ],
      true,
    );
    expect([...exposed.keys()]).toEqual(['a__ok']);
    expect(problems.map((p) => [p.problem, p.name, p.serverId, p.with?.map((w) => w.serverId)])).toEqual([
      ['collision', 'a__b__c', 'a', ['a__b']],
      ['collision', 'a__b__c', 'a__b', ['a']],
    ]);
  });

  it(`leaves out names longer than ${MAX_TOOL_NAME} characters, and keeps them un-prefixed on one server's endpoint`, () => {
    const long = 't'.repeat(60);
    expect(exposeTools([{ serverId: 'server', tool: long }], true).problems).toEqual([{ name: `server__${long}`, serverId: 'server', tool: long, problem: 'too-long' }]);
    expect([...exposeTools([{ serverId: 'server', tool: long }], false).exposed.keys()]).toEqual([long]);
  });
});

describe('unpinnedPackage', () => {
  it('names a package a runner starts without an exact version', () => {
    expect(unpinnedPackage({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/p'] })).toBe('@modelcontextprotocol/server-filesystem');
    expect(unpinnedPackage({ command: 'npx', args: ['-y', 'some-server@latest'] })).toBe('some-server@latest');
    expect(unpinnedPackage({ command: 'pnpm', args: ['dlx', 'some-server@^1.2.0'] })).toBe('some-server@^1.2.0');
    expect(unpinnedPackage({ command: 'uvx', args: ['mcp-server-git'] })).toBe('mcp-server-git');
  });
  it('accepts exact versions, and servers not started by a runner', () => {
    expect(unpinnedPackage({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem@2026.8.31', '/p'] })).toBeUndefined();
    expect(unpinnedPackage({ command: '/usr/bin/npx', args: ['some-server@1.2.3-beta.1'] })).toBeUndefined();
    expect(unpinnedPackage({ command: 'uvx', args: ['mcp-server-git==0.6.2'] })).toBeUndefined();
    expect(unpinnedPackage({ command: 'node', args: ['server.js'] })).toBeUndefined();
    expect(unpinnedPackage({ command: undefined, args: [] })).toBeUndefined();
  });
});
