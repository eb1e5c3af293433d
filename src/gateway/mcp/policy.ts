// Which tools a key may see and call (its grants, and its user's and team's), and what the config
// says to do with a call: allow it, ask a person first, or deny it.
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { globMatch } from '../policy/keys.js';

export type ToolDecision = 'allow' | 'ask' | 'deny';

/** The rule that decided, for records and refusals, e.g. `tools["write_*"] = ask`. */
export interface ToolVerdict {
  decision: ToolDecision;
  rule: string;
}

/**
 * A server's `tools:` map decides: every pattern that matches the tool counts, deny over ask over
 * allow; a tool no pattern matches is asked about.
 */
export function toolVerdict(policies: Record<string, ToolDecision>, tool: string): ToolVerdict {
  let best: ToolVerdict | undefined;
  const rank: Record<ToolDecision, number> = { allow: 0, ask: 1, deny: 2 };
  for (const [pattern, decision] of Object.entries(policies)) {
    if (!globMatch(pattern, tool)) continue;
    if (!best || rank[decision] > rank[best.decision]) best = { decision, rule: `tools["${pattern}"] = ${decision}` };
  }
  return best ?? { decision: 'ask', rule: 'not listed under tools (unlisted tools are asked about)' };
}

/** Whether grants (globs over `server__tool`; none means all) cover a tool. */
export function toolGranted(grants: readonly string[], serverId: string, tool: string): boolean {
  if (grants.length === 0) return true;
  const name = `${serverId}__${tool}`;
  return grants.some((g) => globMatch(g, name));
}

/** The price of a call (USD) from a server's `prices:` map: the highest of the patterns that match; undefined when none does. */
export function toolPrice(prices: Record<string, number>, tool: string): number | undefined {
  let price: number | undefined;
  for (const [pattern, usd] of Object.entries(prices)) if (globMatch(pattern, tool)) price = Math.max(price ?? 0, usd);
  return price;
}

export interface ArgumentRule {
  tool: string;
  arguments: string[];
  outside: string[];
  action: 'ask' | 'deny';
}

/**
 * A path as the file system will see it: `~` expanded, made absolute against `base`, `..` folded,
 * and symlinks resolved through the longest part of it that exists (a file not yet written is
 * judged by the real directory it would be written in).
 */
export function realPath(p: string, base: string): string {
  const expanded = p === '~' ? homedir() : p.startsWith(`~${sep}`) || p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
  let abs = resolve(base, expanded);
  const rest: string[] = [];
  while (!existsSync(abs)) {
    const parent = dirname(abs);
    if (parent === abs) break;
    rest.unshift(abs.slice(parent.length).replace(/^[\\/]+/, ''));
    abs = parent;
  }
  let real = abs;
  try {
    real = realpathSync(abs);
  } catch {
    // Unreadable: judged as written.
  }
  return rest.length ? join(real, ...rest) : real;
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The strictest argument rule a call breaks (a named path argument outside every allowed
 * directory), as a verdict; undefined when it breaks none. Relative paths are taken against the
 * first allowed directory.
 */
export function argumentVerdict(rules: readonly ArgumentRule[], tool: string, args: Record<string, unknown> | undefined): ToolVerdict | undefined {
  let worst: ToolVerdict | undefined;
  for (const rule of rules) {
    if (!globMatch(rule.tool, tool)) continue;
    const dirs = rule.outside.map((d) => realPath(d, process.cwd()));
    for (const name of rule.arguments) {
      const raw = args?.[name];
      const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
      for (const v of values) {
        if (typeof v !== 'string') continue;
        const path = realPath(v, dirs[0]!);
        if (dirs.some((d) => inside(d, path))) continue;
        if (!worst || (rule.action === 'deny' && worst.decision !== 'deny')) {
          worst = { decision: rule.action, rule: `rules: ${name} = ${JSON.stringify(v)} of ${rule.tool} is outside ${rule.outside.join(', ')} (${path})` };
        }
      }
    }
  }
  return worst;
}
