// The guardrails a deployment runs, built from the config: each detector with the action the
// config gives its kind of finding, over any text, with results remembered per text (an agent
// resends its whole history each turn: only what is new is scanned).
import { createHash } from 'node:crypto';
import { DEFAULT_INJECTION_THRESHOLD, injectionDetector } from './injection.js';
import { cardsDetector, PII_KIND_NAMES, piiDetector } from './pii.js';
import { secretsDetector } from './secrets.js';
import type { Detector, Finding, GuardLocation } from './types.js';

export type GuardAction = 'off' | 'warn' | 'block' | 'mask' | 'mask-and-restore' | 'ask';

/** The config's `guardrails:` section. */
export interface GuardConfig {
  secrets: GuardAction;
  cards: GuardAction;
  pii: GuardAction;
  injection: GuardAction;
}

export interface ActedFinding extends Finding {
  /** What the config says to do with it (`warn` for findings that may only be recorded). */
  action: GuardAction;
  location: GuardLocation;
}

export interface Guardrails {
  /** Findings on `text`, each with its action; `off` kinds are not run. Overlapping spans: the earlier, then the longer, wins. */
  scan(text: string, location: GuardLocation): ActedFinding[];
}

interface Step {
  kind: keyof GuardConfig;
  detector: Detector;
  /** Where it runs: injection is looked for in what tools bring in (results, definitions), not in what a person typed. */
  at?: readonly GuardLocation[];
}

/** Texts shorter than this are scanned every time: remembering them costs more than scanning. */
const MEMO_MIN = 64;
const MEMO_MAX = 20_000;

export function createGuardrails(config: () => GuardConfig): Guardrails {
  const steps: Step[] = [
    { kind: 'secrets', detector: secretsDetector() },
    { kind: 'cards', detector: cardsDetector() },
    { kind: 'pii', detector: piiDetector({ kinds: PII_KIND_NAMES.filter((k) => k !== 'card') }) },
    { kind: 'injection', detector: injectionDetector({ threshold: DEFAULT_INJECTION_THRESHOLD }), at: ['tool.result', 'tool.description'] },
  ];
  /** sha256(kinds on + text) -> raw findings, least recently used first. */
  const memo = new Map<string, (Finding & { kind: keyof GuardConfig })[]>();

  function raw(text: string, active: Step[]): (Finding & { kind: keyof GuardConfig })[] {
    const key = text.length >= MEMO_MIN ? createHash('sha256').update(active.map((s) => s.kind).join(',')).update('\n').update(text).digest('base64') : undefined;
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

  return {
    scan(text, location) {
      const c = config();
      const active = steps.filter((s) => c[s.kind] !== 'off' && (!s.at || s.at.includes(location)));
      if (active.length === 0 || text.length === 0) return [];
      const found = raw(text, active)
        .map((f): ActedFinding => {
          const { kind, ...finding } = f;
          return { ...finding, action: f.warnOnly ? 'warn' : c[kind], location };
        })
        .sort((a, b) => a.start - b.start || b.end - a.end);
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
    },
  };
}
