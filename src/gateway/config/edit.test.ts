// Tests for programmatic config edits: layout kept outside the change, conflicts and invalid results refused.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, lstatSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editConfigFile } from './edit.js';
import { ConfigError, hashConfigText, loadConfigFile } from './load.js';
import { thrown } from '../../../test/helpers/thrown.js';

// Deliberately untidy: comments everywhere, doubled blank lines, 4-space maps, odd spacing and flow
// collections the yaml library would re-render differently.
const ORIGINAL = `# Gatehouse   config (hand-written)
version: 1    # the only version


server:
    host: "127.0.0.1"   # loopback only
    port: 4141
    allowedHosts: [gate.local,  other.local]   # flow list, odd spacing

# providers below
providers:
    - id: main
      type: openai   # primary
      apiKey: keychain:OPENAI
      headers: {X-Org: acme}
models:
    - name: chat
      targets:
          - provider: main
            model: gpt-4o   # keep me
aliases: {}
# trailing comment
`;

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-edit-'));
  path = join(dir, 'gatehouse.yaml');
  writeFileSync(path, ORIGINAL);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});


describe('editConfigFile', () => {
  it('changes one scalar and leaves every other byte alone', () => {
    const base = loadConfigFile(path);
    const edited = editConfigFile(path, base.hash, [{ op: 'set', path: ['server', 'port'], value: 5000 }]);
    const expected = ORIGINAL.replace('    port: 4141\n', '    port: 5000\n');
    expect(edited.text).toBe(expected);
    expect(readFileSync(path, 'utf8')).toBe(expected);
    expect(edited.config.server.port).toBe(5000);
    expect(edited.hash).toBe(hashConfigText(expected));
  });

  it('keeps a changed scalar’s quoting and trailing comment', () => {
    const base = loadConfigFile(path);
    const edited = editConfigFile(path, base.hash, [{ op: 'set', path: ['models', 0, 'targets', 0, 'model'], value: 'gpt-4.1' }]);
    expect(edited.text).toBe(ORIGINAL.replace('model: gpt-4o   # keep me', 'model: gpt-4.1 # keep me'));
    const again = editConfigFile(path, edited.hash, [{ op: 'set', path: ['server', 'host'], value: 'localhost' }]);
    expect(again.text).toContain('    host: "localhost" # loopback only\n');
  });

  it('adds entries in place, in block style, without touching the lines around them', () => {
    const base = loadConfigFile(path);
    const edited = editConfigFile(path, base.hash, [
      { op: 'set', path: ['aliases', 'gpt-4o'], value: 'chat' },
      { op: 'set', path: ['server', 'logLevel'], value: 'debug' },
    ]);
    const expected = ORIGINAL.replace('aliases: {}\n', 'aliases:\n    gpt-4o: chat\n').replace(
      '# flow list, odd spacing\n',
      '# flow list, odd spacing\n    logLevel: debug\n',
    );
    expect(edited.text).toBe(expected);
    expect(edited.config.aliases).toEqual({ 'gpt-4o': 'chat' });
  });

  it('appends to a list and deletes fields, keeping the key order', () => {
    const base = loadConfigFile(path);
    const edited = editConfigFile(path, base.hash, [
      { op: 'set', path: ['providers', 1], value: { id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' } },
      { op: 'delete', path: ['providers', 0, 'headers'] },
      { op: 'delete', path: ['no', 'such', 'field'] },
    ]);
    expect(edited.config.providers.map((p) => p.id)).toEqual(['main', 'local']);
    expect(edited.config.providers[0]?.headers).toEqual({});
    expect(edited.text).not.toContain('X-Org');
    // Untouched parts survive byte for byte, and top-level keys keep their order.
    expect(edited.text.startsWith(ORIGINAL.slice(0, ORIGINAL.indexOf('    - id: main')))).toBe(true);
    expect(edited.text.endsWith(ORIGINAL.slice(ORIGINAL.indexOf('models:')))).toBe(true);
    expect(edited.text).toContain('      type: openai   # primary\n');
    expect([...edited.text.matchAll(/^([A-Za-z]+):/gm)].map((m) => m[1])).toEqual(['version', 'server', 'providers', 'models', 'aliases']);
  });

  it('creates missing parents and fills an empty value', () => {
    // `models:` with no value is invalid on its own; an edit may still fix it.
    const text = 'version: 1\n# routes go here\nmodels:\nproviders:\n  - id: main\n    type: openai\n';
    writeFileSync(path, text);
    const edited = editConfigFile(path, hashConfigText(text), [
      { op: 'set', path: ['models', 0], value: { name: 'chat', targets: [{ provider: 'main', model: 'gpt-4o' }] } },
      { op: 'set', path: ['guardrails', 'pii'], value: 'warn' },
    ]);
    expect(edited.config.models[0]?.name).toBe('chat');
    expect(edited.config.guardrails.pii).toBe('warn');
    expect(edited.text.startsWith('version: 1\n# routes go here\nmodels:\n  - name: chat\n')).toBe(true);
  });

  it('keeps CRLF line endings', () => {
    const crlf = 'version: 1\r\n# note\r\nserver:\r\n  port: 4141  # here\r\n';
    writeFileSync(path, crlf);
    const base = loadConfigFile(path);
    const edited = editConfigFile(path, base.hash, [{ op: 'set', path: ['server', 'port'], value: 1234 }]);
    expect(edited.text).toBe('version: 1\r\n# note\r\nserver:\r\n  port: 1234 # here\r\n');
  });

  it('keeps CRLF line endings when the whole file has to be re-rendered', () => {
    // 4-space mappings with unindented lists cannot be reproduced line for line, so this edit
    // falls back to the library's layout; the line ends must still be the file's.
    const crlf = 'version: 1\r\nserver:\r\n    port: 4141\r\nproviders:\r\n- id: a\r\n  type: openai\r\n';
    writeFileSync(path, crlf);
    const edited = editConfigFile(path, hashConfigText(crlf), [{ op: 'set', path: ['providers', 1], value: { id: 'b', type: 'gemini' } }]);
    expect(edited.config.providers.map((p) => p.id)).toEqual(['a', 'b']);
    expect(edited.text).toContain('\r\n');
    expect(edited.text.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('refuses with CONFIG_CONFLICT when the file changed since it was read', () => {
    const base = loadConfigFile(path);
    const changed = ORIGINAL.replace('port: 4141', 'port: 4242');
    writeFileSync(path, changed);
    const err = thrown(ConfigError, () => editConfigFile(path, base.hash, [{ op: 'set', path: ['server', 'port'], value: 5000 }]));
    expect(err.code).toBe('CONFIG_CONFLICT');
    expect(err.message).toContain('the file changed on disk since you read it; reload and try again');
    expect(readFileSync(path, 'utf8')).toBe(changed);
  });

  it('refuses an edit that would make the config invalid and leaves the file untouched', () => {
    const base = loadConfigFile(path);
    const before = statSync(path).mtimeMs;
    const err = thrown(ConfigError, () =>
      editConfigFile(path, base.hash, [
        { op: 'set', path: ['server', 'port'], value: 5000 },
        { op: 'set', path: ['providers', 0, 'type'], value: 'openai-compatable' },
      ]),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues).toEqual([
      { path: 'providers[0].type', message: expect.stringContaining('got "openai-compatable"; expected one of') as string },
    ]);
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL);
    expect(statSync(path).mtimeMs).toBe(before);
    expect(readdirSync(dir)).toEqual(['gatehouse.yaml']);
  });

  it('refuses ops that do not fit the document', () => {
    const base = loadConfigFile(path);
    const cases: [Parameters<typeof editConfigFile>[2], RegExp][] = [
      [[{ op: 'set', path: ['server', 'host', 'x'], value: 1 }], /server\.host is a single value/],
      [[{ op: 'set', path: ['providers', 5], value: {} }], /index 5 is past the end of providers \(1 items\)/],
      [[{ op: 'set', path: ['providers', 'main'], value: {} }], /providers is a list; expected an index/],
      [[{ op: 'set', path: [], value: {} }], /the path is empty/],
      [[{ op: 'set', path: ['server', 'port'], value: undefined }], /use a "delete" op/],
    ];
    for (const [ops, message] of cases) {
      const err = thrown(ConfigError, () => editConfigFile(path, base.hash, ops));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toMatch(message);
    }
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL);
  });

  it('refuses to edit a file with YAML syntax errors', () => {
    writeFileSync(path, 'version: 1\nserver: [oops\n');
    const err = thrown(ConfigError, () =>
      editConfigFile(path, hashConfigText('version: 1\nserver: [oops\n'), [{ op: 'set', path: ['server', 'port'], value: 1 }]),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/fix them in an editor/);
    expect(readFileSync(path, 'utf8')).toBe('version: 1\nserver: [oops\n');
  });

  it.skipIf(process.platform === 'win32')('keeps the file mode and writes through a symlink', () => {
    chmodSync(path, 0o640);
    const link = join(dir, 'link.yaml');
    symlinkSync(path, link);
    const base = loadConfigFile(link);
    const edited = editConfigFile(link, base.hash, [{ op: 'set', path: ['server', 'port'], value: 6000 }]);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(edited.text);
    expect(readdirSync(dir).sort()).toEqual(['gatehouse.yaml', 'link.yaml']);
  });

  it('reports CONFIG_UNREADABLE for a missing file', () => {
    rmSync(path);
    expect(thrown(ConfigError, () => editConfigFile(path, 'x', [])).code).toBe('CONFIG_UNREADABLE');
  });
});
