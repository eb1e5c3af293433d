// Tests for reading and validating gatehouse.yaml: what each issue says and where it points.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../shared/contract.js';
import { ConfigError, ensureConfigFile, formatIssues, loadConfigFile, parseConfigText } from './load.js';
import { thrown } from '../../../test/helpers/thrown.js';

function issuesOf(text: string): ConfigIssue[] {
  const result = parseConfigText(text);
  if (result.ok) throw new Error('expected the text to be rejected');
  return result.issues;
}

function issueAt(issues: ConfigIssue[], path: string): ConfigIssue {
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}; got ${JSON.stringify(issues)}`);
  return found;
}

const TWO_PROVIDERS = `version: 1
providers:
  - id: main
    type: openai
  - id: local
    type: openai-compatable
    baseUrl: http://127.0.0.1:11434/v1
`;

describe('parseConfigText', () => {
  it('accepts a minimal file and fills in defaults', () => {
    const result = parseConfigText('version: 1\n');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.server).toEqual({ host: '127.0.0.1', port: 4141, allowedHosts: [], allowedOrigins: [], logLevel: 'info' });
    expect(result.config.providers).toEqual([]);
  });

  it('does not share default lists between parsed configs', () => {
    const a = parseConfigText('version: 1\n');
    const b = parseConfigText('version: 1\n');
    if (!a.ok || !b.ok) throw new Error('expected both to parse');
    a.config.server.allowedHosts.push('leak.example');
    expect(b.config.server.allowedHosts).toEqual([]);
  });

  it('names the field, the value, the choices and the position of a bad enum value', () => {
    const issue = issueAt(issuesOf(TWO_PROVIDERS), 'providers[1].type');
    expect(issue.message).toBe(
      'got "openai-compatable"; expected one of openai, anthropic, gemini, azure-openai, openai-compatible (did you mean "openai-compatible"?)',
    );
    expect({ line: issue.line, column: issue.column }).toEqual({ line: 6, column: 11 });
  });

  it('says what type was found and what was expected', () => {
    const issue = issueAt(issuesOf('version: 1\nserver:\n  port: "x"\n'), 'server.port');
    expect(issue.message).toBe('got "x" (a string); expected a number');
    expect({ line: issue.line, column: issue.column }).toEqual({ line: 3, column: 9 });
  });

  it('reports range limits with the bound', () => {
    const issue = issueAt(issuesOf('version: 1\nserver:\n  port: 70000\n'), 'server.port');
    expect(issue.message).toBe('got 70000; expected a number at most 65535');
    expect(issue.line).toBe(3);
  });

  it('points an empty value at its key', () => {
    const issue = issueAt(issuesOf('version: 1\nserver:\n  port:\n'), 'server.port');
    expect(issue.message).toBe('got an empty value; expected a number');
    expect({ line: issue.line, column: issue.column }).toEqual({ line: 3, column: 3 });
  });

  it('names a missing required field and points at the object that lacks it', () => {
    const issue = issueAt(issuesOf('version: 1\nproviders:\n  - type: openai\n'), 'providers[0].id');
    expect(issue.message).toBe('missing required field "id"; expected a string');
    expect({ line: issue.line, column: issue.column }).toEqual({ line: 3, column: 5 });
  });

  it('rejects unknown fields at the key, listing the allowed ones', () => {
    const issues = issuesOf('version: 1\nextra: true\nserver:\n  port: 4141\n  hots: example.com\n');
    const root = issueAt(issues, '(root)');
    expect(root.message).toBe('unknown field "extra" (allowed: version, server, providers, models, aliases, routing, budgets, alerts, guardrails, mcpServers, toolsets, approvals, ledger, observability)');
    expect({ line: root.line, column: root.column }).toEqual({ line: 2, column: 1 });
    const server = issueAt(issues, 'server');
    expect(server.message).toBe('unknown field "hots" (allowed: host, port, allowedHosts, allowedOrigins, logLevel) (did you mean "host"?)');
    expect({ line: server.line, column: server.column }).toEqual({ line: 5, column: 3 });
  });

  it('uses the schema wording for custom rules and keeps issues in file order', () => {
    const issues = issuesOf('server:\n  port: -1\nversion: 2\n');
    expect(issues.map((i) => i.path)).toEqual(['server.port', 'version']);
    expect(issueAt(issues, 'version').message).toBe('got 2; expected version: 1 (the only config version this Gatehouse reads)');
  });

  it('reports cross-field problems at the offending field', () => {
    const text = 'version: 1\nproviders:\n  - id: a\n    type: openai\nmodels:\n  - name: chat\n    targets:\n      - provider: b\n        model: m\n';
    const issue = issueAt(issuesOf(text), 'models[0].targets[0].provider');
    expect(issue.message).toBe('unknown provider "b"; expected one of the ids under providers: a');
    expect(issue.line).toBe(8);
  });

  it('quotes map keys that are not plain words in paths', () => {
    const issue = issueAt(issuesOf('version: 1\naliases:\n  "gpt-4.1": nowhere\n'), 'aliases["gpt-4.1"]');
    expect(issue.line).toBe(3);
  });

  describe('never echoes secrets', () => {
    it('describes a pasted API key by its length only', () => {
      const key = 'sk-proj-Abc123Def456Ghi789Jkl012';
      const issues = issuesOf(`version: 1\nproviders:\n  - id: main\n    type: openai\n    apiKey: ${key}\n`);
      const issue = issueAt(issues, 'providers[0].apiKey');
      expect(issue.message).toContain(`got a string of ${key.length} characters`);
      expect(issue.message).toContain('keychain:NAME');
      expect(JSON.stringify(issues)).not.toContain('Abc123');
    });

    it('does not echo header values', () => {
      const issues = issuesOf('version: 1\nproviders:\n  - id: main\n    type: openai\n    headers:\n      X-Api: [hunter2, more]\n');
      const issue = issueAt(issues, 'providers[0].headers.X-Api');
      expect(issue.message).toBe('got a list of 2 items; expected a string');
      expect(JSON.stringify(issues)).not.toContain('hunter2');
    });

    it('does not echo a key-shaped value in an unrelated field', () => {
      const token = 'ghp_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0';
      const issues = issuesOf(`version: 1\nserver:\n  logLevel: ${token}\n`);
      expect(issueAt(issues, 'server.logLevel').message).toContain(`got a string of ${token.length} characters`);
      expect(JSON.stringify(issues)).not.toContain('Zx9Yw8');
    });

    it('does not echo a key-shaped unknown field name', () => {
      const key = 'sk-live-Zx9Yw8Vu7Ts6Rq5Po4Nm3';
      const issues = issuesOf(`version: 1\n${key}: 1\n`);
      expect(issues[0]?.message).toMatch(new RegExp(`^unknown field \\(a key of ${key.length} characters\\)`));
      expect(JSON.stringify(issues)).not.toContain('Zx9Yw8');
    });
  });

  it('turns YAML syntax errors into issues with a position', () => {
    const issues = issuesOf('version: 1\nserver:\n  port: [1, 2\nproviders: []\n');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.message).toMatch(/^invalid YAML: /);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(issues[0]?.column).toBeGreaterThanOrEqual(1);
  });

  it('reports a duplicate key where the second one is', () => {
    const issues = issuesOf('version: 1\nserver:\n  port: 1\nserver:\n  port: 2\n');
    expect(issues).toEqual([{ path: '(root)', message: expect.stringContaining('appears twice') as string, line: 4, column: 1 }]);
  });

  it('explains an empty file and a root that is not a mapping', () => {
    for (const empty of ['', '# only a comment\n']) {
      expect(issuesOf(empty)).toEqual([
        { path: '(root)', message: 'the file is empty; expected a mapping that starts with "version: 1"', line: 1, column: 1 },
      ]);
    }
    expect(issuesOf('- version: 1\n')[0]?.message).toBe(
      'got a list of 1 item at the top level; expected a mapping (key: value lines) that starts with "version: 1"',
    );
    expect(issuesOf('just text\n')[0]?.message).toMatch(/^got a string at the top level/);
  });

  it('rejects an alias to a missing anchor instead of throwing', () => {
    expect(issuesOf('version: 1\naliases:\n  a: *nowhere\n')[0]?.message).toMatch(/^invalid YAML: .*nowhere/);
  });
});

describe('formatIssues', () => {
  it('writes one line per issue as file:line:column path: message', () => {
    const text = formatIssues('gatehouse.yaml', [
      { path: 'providers[1].type', message: 'got "x"; expected one of a, b', line: 12, column: 5 },
      { path: '(root)', message: 'two\nlines' },
    ]);
    expect(text).toBe('gatehouse.yaml:12:5 providers[1].type: got "x"; expected one of a, b\ngatehouse.yaml (root): two lines');
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-load-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a file with its text and SHA-256', () => {
    const path = join(dir, 'gatehouse.yaml');
    writeFileSync(path, 'version: 1\nserver:\n  port: 5000\n');
    const loaded = loadConfigFile(path);
    expect(loaded.config.server.port).toBe(5000);
    expect(loaded.text).toBe('version: 1\nserver:\n  port: 5000\n');
    expect(loaded.hash).toBe(createHash('sha256').update(loaded.text).digest('hex'));
    expect(loaded.path).toBe(path);
  });

  it('throws CONFIG_INVALID with the issues and a readable message', () => {
    const path = join(dir, 'gatehouse.yaml');
    writeFileSync(path, TWO_PROVIDERS);
    const err = thrown(ConfigError, () => loadConfigFile(path));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues.map((i) => i.path)).toEqual(['providers[1].type']);
    expect(err.message).toContain(`${path}:6:11 providers[1].type: got "openai-compatable"`);
  });

  it('throws CONFIG_UNREADABLE for a missing file, saying what to do', () => {
    const err = thrown(ConfigError, () => loadConfigFile(join(dir, 'missing.yaml')));
    expect(err.code).toBe('CONFIG_UNREADABLE');
    expect(err.message).toMatch(/does not exist; create it/);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('throws CONFIG_UNREADABLE for a directory', () => {
    const path = join(dir, 'folder.yaml');
    mkdirSync(path);
    expect(thrown(ConfigError, () => loadConfigFile(path)).message).toMatch(/is a directory/);
  });

  it('creates a valid, commented default config once', () => {
    const path = join(dir, 'nested', 'deeper', 'gatehouse.yaml');
    expect(ensureConfigFile(path)).toBe(true);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^version: 1$/m);
    expect(text).toContain('apiKey: keychain:');
    const loaded = loadConfigFile(path);
    expect(loaded.config.server).toMatchObject({ host: '127.0.0.1', port: 4141 });
    expect(loaded.config.providers).toEqual([]);

    writeFileSync(path, 'version: 1\n# mine\n');
    expect(ensureConfigFile(path)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('version: 1\n# mine\n');
  });

  it('writes commented examples that are valid once uncommented', () => {
    const path = join(dir, 'gatehouse.yaml');
    ensureConfigFile(path);
    const text = readFileSync(path, 'utf8');
    // Uncomment the example blocks and drop the empty placeholders they replace.
    const uncommented = text
      .split('\n')
      .filter((line) => line !== 'providers: []' && line !== 'models: []')
      .map((line) => (/^# {0,3}(providers|models):$|^# {3}/.test(line) ? line.slice(2) : line))
      .join('\n');
    const result = parseConfigText(uncommented);
    if (!result.ok) throw new Error(formatIssues(path, result.issues));
    expect(result.config.providers).toEqual([
      expect.objectContaining({ id: 'local', type: 'openai-compatible', apiKey: 'keychain:LOCAL_API_KEY' }),
    ]);
    expect(result.config.models[0]?.targets[0]).toEqual({ provider: 'local', model: 'llama3.1' });
  });

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('reports CONFIG_UNREADABLE when ensureConfigFile cannot create the folder', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    try {
      expect(thrown(ConfigError, () => ensureConfigFile(join(locked, 'sub', 'gatehouse.yaml'))).code).toBe('CONFIG_UNREADABLE');
    } finally {
      chmodSync(locked, 0o700);
    }
  });
});

