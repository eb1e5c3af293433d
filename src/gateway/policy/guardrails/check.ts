// `gatehouse guard check`: the findings on one text and the action the guardrails would take.
import { stricter, type GuardAction, type Guardrails } from './pipeline.js';
import type { FindingType, GuardLocation } from './types.js';

export interface GuardCheck {
  findings: { type: FindingType; rule: string; score: number; start: number; end: number; action: GuardAction }[];
  /** The strictest action among the findings: block > ask > mask > mask-and-restore > warn; `none` without findings. */
  action: GuardAction | 'none';
}

export function guardCheck(guardrails: Guardrails, text: string, location: GuardLocation): GuardCheck {
  const found = guardrails.scan(text, location);
  let action: GuardAction | 'none' = 'none';
  for (const f of found) action = action === 'none' ? f.action : stricter(action, f.action);
  return { findings: found.map((f) => ({ type: f.type, rule: f.rule, score: f.score, start: f.start, end: f.end, action: f.action })), action };
}
