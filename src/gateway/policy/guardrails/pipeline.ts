// The guardrails a deployment runs, built from the config: each detector with the action the
// config gives its kind of finding, over any text, with results remembered per text (an agent
// resends its whole history each turn: only what is new is scanned). The global settings can be
// changed per route, per MCP server and per key through profiles.
import { createHash, hash } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import { compileCustomRules, type CompiledCustomRules, type CustomRule } from './custom.js';
import { DEFAULT_INJECTION_THRESHOLD, injectionDetector } from './injection.js';
import { cardsDetector, PII_KIND_NAMES, piiDetector } from './pii.js';
import { secretsDetector } from './secrets.js';
import type { Detector, Finding, GuardLocation } from './types.js';

export type GuardAction = 'off' | 'warn' | 'block' | 'mask' | 'mask-and-restore' | 'ask';
export type GuardKind = 'secrets' | 'cards' | 'pii' | 'injection';
export type OutputMode = 'record' | 'enforce';

/** What a profile changes (any subset). */
export interface GuardChanges {
  secrets?: GuardAction;
  cards?: GuardAction;
  pii?: GuardAction;
  injection?: GuardAction;
  output?: OutputMode;
  /** Custom rules' actions by rule name. */
  custom?: Record<string, GuardAction>;
}

/** The config's `guardrails:` section. */
export interface GuardConfig extends Record<GuardKind, GuardAction> {
  output?: OutputMode;
  custom?: (Omit<CustomRule, 'action'> & { action: GuardAction })[];
  profiles?: Record<string, GuardChanges>;
}

/** The settings one call runs with, resolved from the global ones and its route's, server's and key's profiles. */
export interface GuardSettings extends Record<GuardKind, GuardAction> {
  output: OutputMode;
  /** Custom rule name (lower case) -> action. */
  custom: Record<string, GuardAction>;
}

/** A route's or server's choice (a profile name, or changes inline), and a key's profile name. */
export interface GuardSelection {
  scope?: string | GuardChanges;
  profile?: string | null;
}

export interface ActedFinding extends Finding {
  /** What the config says to do with it (`warn` for findings that may only be recorded). */
  action: GuardAction;
  location: GuardLocation;
}

export interface ScanOptions {
  /** Remember the result for this text (default): off for windows of a stream, which never recur. */
  remember?: boolean;
}

export interface Guardrails {
  /** The settings this view scans with. */
  readonly settings: GuardSettings;
  /** Findings on `text`, each with its action; `off` kinds are not run. Overlapping spans: the earlier, then the longer, wins. */
  scan(text: string, location: GuardLocation, options?: ScanOptions): ActedFinding[];
  /** The view for one call: the global settings changed by its route's or server's and its key's profiles. */
  for(selection: GuardSelection): Guardrails;
}

/**
 * How strict an action is, for a kind both a route (or server) and a key change: the stricter
 * wins, so neither can loosen what the other tightened.
 */
const STRICTNESS: Record<GuardAction, number> = { off: 0, warn: 1, 'mask-and-restore': 2, mask: 3, ask: 4, block: 5 };
export const stricter = (a: GuardAction, b: GuardAction): GuardAction => (STRICTNESS[a] >= STRICTNESS[b] ? a : b);
const KINDS: readonly GuardKind[] = ['secrets', 'cards', 'pii', 'injection'];

/** Layers a route's or server's changes and a key's changes over the global settings. */
export function resolveSettings(config: GuardConfig, selection: GuardSelection = {}): GuardSettings {
  const profiles = config.profiles ?? {};
  const named = (name: string, whose: string): GuardChanges => {
    const p = profiles[name];
    if (!p) {
      throw new GatewayError(
        'GUARDRAIL_BLOCKED',
        `${whose} names the guardrail profile "${name}", which the config does not define, so nothing was sent; add it under guardrails.profiles, or change ${whose === 'this key' ? 'the key (gatehouse keys update ID --guardrails NAME|none)' : 'the config'}`,
      );
    }
    return p;
  };
  const scope = typeof selection.scope === 'string' ? named(selection.scope, 'this route or server') : selection.scope;
  const key = selection.profile ? named(selection.profile, 'this key') : undefined;
  const pick = (global: GuardAction, a: GuardAction | undefined, b: GuardAction | undefined): GuardAction => (a !== undefined && b !== undefined ? stricter(a, b) : (a ?? b ?? global));
  const custom: Record<string, GuardAction> = {};
  for (const rule of config.custom ?? []) {
    const name = rule.name.toLowerCase();
    custom[name] = pick(rule.action, changeOf(scope?.custom, name), changeOf(key?.custom, name));
  }
  const out: GuardSettings = { secrets: 'off', cards: 'off', pii: 'off', injection: 'off', output: 'record', custom };
  for (const k of KINDS) out[k] = pick(config[k], scope?.[k], key?.[k]);
  const outputs = [scope?.output, key?.output].filter((o): o is OutputMode => o !== undefined);
  out.output = outputs.includes('enforce') ? 'enforce' : (outputs[0] ?? config.output ?? 'record');
  return out;
}

const changeOf = (changes: Record<string, GuardAction> | undefined, name: string): GuardAction | undefined =>
  changes ? Object.entries(changes).find(([n]) => n.toLowerCase() === name)?.[1] : undefined;

interface Step {
  kind: GuardKind | 'custom';
  detector: Detector;
  /** Where it runs: injection is looked for in what tools bring in (results, definitions), not in what a person typed. */
  at?: readonly GuardLocation[];
}

/** Texts shorter than this are scanned every time: remembering them costs more than scanning. */
const MEMO_MIN = 64;
const MEMO_MAX = 20_000;

type RawFinding = Finding & { kind: Step['kind'] };

export function createGuardrails(config: () => GuardConfig): Guardrails {
  const builtIn: Step[] = [
    { kind: 'secrets', detector: secretsDetector() },
    { kind: 'cards', detector: cardsDetector() },
    { kind: 'pii', detector: piiDetector({ kinds: PII_KIND_NAMES.filter((k) => k !== 'card') }) },
    { kind: 'injection', detector: injectionDetector({ threshold: DEFAULT_INJECTION_THRESHOLD }), at: ['tool.result', 'tool.description'] },
  ];
  /** Detectors on + sha256(text) -> raw findings, least recently used first. */
  const memo = new Map<string, RawFinding[]>();
  // Custom rules are compiled once per config object (a reload brings a new one).
  let compiledFor: GuardConfig['custom'] | undefined;
  let compiled: { rules: CompiledCustomRules; step: Step; id: string } | undefined;
  const customStep = (c: GuardConfig): typeof compiled => {
    const rules = c.custom ?? [];
    if (rules.length === 0) return undefined;
    if (compiledFor !== rules) {
      // Every rule is scanned (as `warn`): a profile may turn on a rule the global settings leave off.
      const all = compileCustomRules(rules.map((r) => ({ ...r, action: 'warn' as const })));
      const id = createHash('sha256').update(JSON.stringify(rules)).digest('base64').slice(0, 12);
      compiled = { rules: all, step: { kind: 'custom', detector: all.detector }, id };
      compiledFor = rules;
    }
    return compiled;
  };

  function raw(text: string, active: Step[], customId: string, remember: boolean): RawFinding[] {
    // The detectors on, then the text's digest (one call, no Hash object: this runs for every string of every request).
    const key = remember && text.length >= MEMO_MIN ? `${active.map((s) => (s.kind === 'custom' ? `custom:${customId}` : s.kind)).join(',')}\n${hash('sha256', text, 'base64')}` : undefined;
    if (key) {
      const hit = memo.get(key);
      if (hit) {
        memo.delete(key);
        memo.set(key, hit);
        return hit;
      }
    }
    const found = active.flatMap((s) => s.detector.scan(text).map((f) => ({ ...f, kind: s.kind })));
    if (key) {
      memo.set(key, found);
      if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value!);
    }
    return found;
  }

  function scanWith(settings: GuardSettings, text: string, location: GuardLocation, options: ScanOptions = {}): ActedFinding[] {
    const c = config();
    const custom = customStep(c);
    const customOn = custom !== undefined && Object.values(settings.custom).some((a) => a !== 'off');
    const active = builtIn.filter((s) => settings[s.kind as GuardKind] !== 'off' && (!s.at || s.at.includes(location)));
    if (customOn) active.push(custom.step);
    if (active.length === 0 || text.length === 0) return [];
    const found: ActedFinding[] = [];
    for (const f of raw(text, active, custom?.id ?? '', options.remember !== false)) {
      const { kind, ...finding } = f;
      let action: GuardAction;
      if (kind === 'custom') {
        const rule = custom!.rules.ruleOf(f.rule);
        if (!rule || (rule.at && !rule.at.includes(location))) continue;
        action = settings.custom[rule.name.toLowerCase()] ?? 'off';
        if (action === 'off') continue;
      } else action = f.warnOnly ? 'warn' : settings[kind];
      found.push({ ...finding, action, location });
    }
    found.sort((a, b) => a.start - b.start || b.end - a.end);
    // Spans that act on the text must not overlap: the first (then the longest) keeps its place.
    const out: ActedFinding[] = [];
    let reach = -1;
    for (const f of found) {
      const acts = f.action === 'mask' || f.action === 'mask-and-restore';
      if (acts && f.start < reach) continue;
      if (acts) reach = f.end;
      out.push(f);
    }
    return out;
  }

  // The global settings, resolved once per config object.
  let globalFor: GuardConfig | undefined;
  let globalSettings: GuardSettings | undefined;
  const global = (): GuardSettings => {
    const c = config();
    if (c !== globalFor) {
      globalSettings = resolveSettings(c);
      globalFor = c;
    }
    return globalSettings!;
  };
  const view = (settings: () => GuardSettings): Guardrails => ({
    get settings() {
      return settings();
    },
    scan: (text, location, options) => scanWith(settings(), text, location, options),
    for(selection) {
      if (selection.scope === undefined && !selection.profile) return view(global);
      const fixed = resolveSettings(config(), selection);
      return view(() => fixed);
    },
  });
  return view(global);
}
