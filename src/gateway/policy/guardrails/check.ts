// `gatehouse guard check`: the findings on one text and the action the guardrails would take.
import type { GuardAction, Guardrails } from './pipeline.js';
import type { FindingType, GuardLocation } from './types.js';

export interface GuardCheck {
  findings: { type: FindingType; rule: string; score: number; start: number; end: number; action: GuardAction }[];
  /** The strictest action among the findings: block > ask > mask-and-restore > mask > warn; `none` without findings. */
  action: GuardAction | 'none';
}

const STRICTNESS: GuardAction[] = ['off', 'warn', 'mask', 'mask-and-restore', 'ask', 'block'];

export function guardCheck(guardrails: Guardrails, text: string, location: GuardLocation): GuardCheck {
  const found = guardrails.scan(text, location);
  let action: GuardAction | 'none' = 'none';
  for (const f of found) if (action === 'none' || STRICTNESS.indexOf(f.action) > STRICTNESS.indexOf(action)) action = f.action;
  return { findings: found.map((f) => ({ type: f.type, rule: f.rule, score: f.score, start: f.start, end: f.end, action: f.action })), action };
}
