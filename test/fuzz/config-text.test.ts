// Fuzzing the config loader (parseConfigText in src/gateway/config/load.ts) with random text, random YAML, valid
// configs with characters and lines broken, and YAML's own odd features (anchors, aliases, tags, merge keys, several
// documents): it never throws, and answers either a config or issues that say where (line and column) and what.
// A bug it found (alias issues with no position, fixed) has its own property at the end.
//
// Default: a few thousand texts in a few seconds. Long run: FUZZ_RUNS=100000 npx vitest run test/fuzz (runs per
// property; no time limit). Replay a failure: FUZZ_SEED=<seed printed by fast-check>.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/gateway/config/load.js';
import { deepNesting, jsonText, shallowValue as anyValue } from './json-arbitraries.js';
import { fuzzParams, fuzzTimeout } from './runs.js';

/** A config using most of the schema, as a person writes it (comments, flow and block style). */
const VALID = `# Gatehouse
version: 1
server: { host: 127.0.0.1, port: 4141, logLevel: info, allowedOrigins: ["http://localhost:5173"] }
providers:
  - id: groq
    type: openai-compatible
    preset: groq
    apiKey: keychain:groq
    headers: { X-Extra: "\${env:EXTRA}" }
  - { id: anth, type: anthropic, apiKey: env:ANTHROPIC_API_KEY, timeoutMs: 60000 }
  - id: az
    type: azure-openai
    baseUrl: https://res.openai.azure.com
    apiVersion: "2024-10-21"
    deployments: { gpt-4o: my-deployment }
models:
  - name: fast
    strategy: weighted
    retries: 2
    targets:
      - { provider: groq, model: llama-3.3-70b-versatile, weight: 2, pricing: { inputPerMTok: 0.59, outputPerMTok: 0.79 } }
      - provider: anth
        model: claude-haiku-4-5
        pricing: { inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, longContext: { aboveInputTokens: 200000, inputPerMTok: 2, outputPerMTok: 10 } }
aliases:
  "gpt-4o-mini": fast
  "claude-*-haiku-*": fast
routing: { backoffMs: 250, maxBackoffMs: 8000 }
guardrails: { secrets: mask-and-restore, pii: warn, injection: block }
mcpServers:
  - id: fs
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", /home/me/project]
    tools: { "*": allow, "write_*": ask }
    rules: [{ tool: "write_*", arguments: [path], outside: [/home/me/project], action: ask }]
  - { id: remote, url: "https://example.invalid/mcp", sessions: per-session }
toolsets: { coding: ["fs__*"] }
approvals: { timeoutSeconds: 50 }
`;

/** Pieces of YAML syntax, for inserting where they do not belong. */
const YAML_BITS = [
  '&a ',
  '*a',
  '*nowhere',
  '<<: *a',
  '!!binary ',
  '!!str ',
  '!custom ',
  '? ',
  ': ',
  '- ',
  '---\n',
  '...\n',
  '%YAML 1.2\n',
  '%TAG ! tag:x,2000:\n',
  '\t',
  '{',
  '}',
  '[',
  ']',
  '|',
  '>-',
  '#',
  '"',
  "'",
  '\\',
  '\n',
  '\r\n',
  '\r',
  '\ufeff',
  '\u0000',
  '\u2028',
  ',',
  '@',
  '`',
  '~',
  'null',
  '0x1F',
  '1e400',
  '.inf',
  '2001-12-14t21:59:43.10-05:00',
];

type Edit = { op: 'insert'; at: number; text: string } | { op: 'delete'; at: number; length: number } | { op: 'duplicate-line'; line: number } | { op: 'swap-lines'; a: number; b: number } | { op: 'indent'; line: number; by: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...YAML_BITS), fc.string({ unit: 'binary', maxLength: 6 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }) },
  fc.record({ op: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('indent' as const), line: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);

function apply(text: string, e: Edit): string {
  const at = (n: number): number => (text.length === 0 ? 0 : n % (text.length + 1));
  const lines = text.split('\n');
  const line = (n: number): number => n % lines.length;
  switch (e.op) {
    case 'insert':
      return text.slice(0, at(e.at)) + e.text + text.slice(at(e.at));
    case 'delete':
      return text.slice(0, at(e.at)) + text.slice(at(e.at) + e.length);
    case 'duplicate-line':
      lines.splice(line(e.line), 0, lines[line(e.line)]!);
      return lines.join('\n');
    case 'swap-lines': {
      const [a, b] = [line(e.a), line(e.b)];
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'indent': {
      const i = line(e.line);
      lines[i] = e.by >= 0 ? ' '.repeat(e.by) + lines[i]! : lines[i]!.replace(new RegExp(`^ {0,${-e.by}}`), '');
      return lines.join('\n');
    }
  }
}

/** The config's own fields with values of any type, written as YAML: the schema's checks rather than the parser's. */
const configLike = fc
  .record(
    {
      version: fc.oneof(fc.constant(1), anyValue),
      server: fc.oneof(fc.record({ host: anyValue, port: fc.oneof(fc.integer(), anyValue), logLevel: anyValue }, { requiredKeys: [] }), anyValue),
      providers: fc.oneof(fc.array(fc.record({ id: anyValue, type: fc.oneof(fc.constantFrom('openai', 'anthropic', 'gemini', 'azure-openai', 'openai-compatible', 'openia'), anyValue), apiKey: anyValue, baseUrl: anyValue }, { requiredKeys: [] }), { maxLength: 3 }), anyValue),
      models: fc.oneof(fc.array(fc.record({ name: anyValue, targets: fc.oneof(fc.array(fc.record({ provider: anyValue, model: anyValue, pricing: anyValue }, { requiredKeys: [] }), { maxLength: 2 }), anyValue) }, { requiredKeys: [] }), { maxLength: 3 }), anyValue),
      aliases: anyValue,
      guardrails: anyValue,
      mcpServers: anyValue,
      budgets: anyValue,
    },
    { requiredKeys: [] },
  )
  .chain((o) => fc.dictionary(fc.oneof(fc.constantFrom('extra', 'providres', 'apiKey', 'sk-proj-AbCdEf0123456789AbCdEf0123'), fc.string({ maxLength: 10 })), anyValue, { maxKeys: 2 }).map((extra) => ({ ...o, ...extra })));

/** JSON values as YAML text (via JSON, so RawJson pieces such as 1e400 become what a YAML writer would write). */
function yamlOf(value: unknown): string {
  return stringify(JSON.parse(jsonText(value)) as unknown);
}

const configText: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
  { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom(...YAML_BITS), fc.string({ maxLength: 8 })), { maxLength: 40 }).map((bits) => bits.join('')) },
  { weight: 3, arbitrary: configLike.map(yamlOf) },
  { weight: 1, arbitrary: anyValue.map(yamlOf) },
  // JSON is YAML: flow collections nested hundreds deep, in a field and at the top.
  { weight: 1, arbitrary: fc.tuple(deepNesting, fc.boolean()).map(([deep, top]) => (top ? deep.text : `version: 1\naliases: ${deep.text}\n`)) },
  { weight: 5, arbitrary: fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => edits.reduce(apply, VALID)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((n) => `version: 1\naliases: &a { x: fast }\nrouting: [${Array.from({ length: n }, () => '*a').join(', ')}]\n`) },
);

/** The billion-laughs shape: levels of ten aliases each, which must be refused, not expanded. */
const aliasBomb: fc.Arbitrary<string> = fc.integer({ min: 1, max: 12 }).map((n) => {
  const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= n; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return lines.join('\n');
});

describe('fuzzing the config loader', () => {
  it('parseConfigText never throws, stays quick, and answers a config or well-formed issues', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 20, arbitrary: configText }, { weight: 1, arbitrary: aliasBomb }), (text) => {
        const started = performance.now();
        const result = parseConfigText(text);
        expect(performance.now() - started, 'parsing one config took over 2 s').toBeLessThan(2_000);
        if (result.ok) {
          expect(result.config.version).toBe(1);
          return;
        }
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(typeof issue.path).toBe('string');
          expect(typeof issue.message).toBe('string');
          expect(issue.message.length).toBeGreaterThan(0);
        }
      }),
      fuzzParams(1_500),
    );
  }, fuzzTimeout(60_000));

  it('every issue says where it is: a line and column inside the text', () => {
    fc.assert(
      fc.property(configText, (text) => {
        const result = parseConfigText(text);
        if (result.ok) return;
        const lines = text.split(/\r\n|\r|\n/).length;
        for (const issue of result.issues) {
          const where = `${JSON.stringify(issue)} for ${JSON.stringify(text.slice(0, 300))}`;
          expect(Number.isInteger(issue.line) && issue.line! >= 1 && issue.line! <= lines + 1, `line: ${where}`).toBe(true);
          expect(Number.isInteger(issue.column) && issue.column! >= 1, `column: ${where}`).toBe(true);
        }
      }),
      fuzzParams(1_500),
    );
  }, fuzzTimeout(60_000));

  // A bug this found (fixed): src/gateway/config/load.ts turned an exception of
  // `doc.toJS({ maxAliasCount: 100 })` into an issue with no line or column, so the file's position was lost for
  // (1) an alias bomb: "version: 1\na: &a x\nb: [*a, *a, ... 100 times]" -> {path: "(root)", message: "invalid YAML:
  // Excessive alias count indicates a resource exhaustion attack"}; (2) a merge key with no anchor: "<<: *a" ->
  // {path: "(root)", message: "invalid YAML: Unresolved alias (the anchor must be set before the alias): a"}.
  // (An unresolved alias elsewhere, "a: *nowhere", is a parse error and does get its position.)
  it('alias problems found while building values still say where they are', () => {
    const merge = fc.tuple(fc.constantFrom('', 'version: 1\n'), fc.stringMatching(/^[a-z]{1,6}$/)).map(([head, name]) => `${head}<<: *${name}\n`);
    fc.assert(
      fc.property(fc.oneof(aliasBomb.filter((t) => t.split('\n').length > 3), merge), (text) => {
        const result = parseConfigText(text);
        expect(result.ok).toBe(false);
        if (!result.ok) for (const issue of result.issues) expect(issue.line, JSON.stringify(issue)).toBeDefined();
      }),
      { ...fuzzParams(10), endOnFailure: true },
    );
  }, fuzzTimeout(30_000));
});
