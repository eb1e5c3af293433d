// `gatehouse agents setup`, the pure part: which route an agent gets, what to print, what to write.
import { createTwoFilesPatch } from 'diff';
import type { GatehouseConfig } from '../config/schema.js';
import type { PROVIDER_TYPES } from '../config/schema.js';
import type { Family } from '../llm/canonical.js';
import { AGENT_IDS, KEY_PLACEHOLDER, type AgentId, type FileRecipe, type ReadFile, type SetupInput } from './recipe.js';
import { RECIPES } from './recipes/index.js';

export { AGENT_IDS, KEY_PLACEHOLDER, SetupError, type AgentId, type ReadFile, type SetupInput } from './recipe.js';

export function isAgentId(s: string): s is AgentId {
  return (AGENT_IDS as readonly string[]).includes(s);
}

/** The recipe's name and family, for messages. */
export function agentInfo(agent: AgentId): { title: string; family: Family; subscription: boolean; sources: string[] } {
  const { title, family, subscription, sources } = RECIPES[agent];
  return { title, family, subscription, sources };
}

export const SUBSCRIPTION_AGENTS = AGENT_IDS.filter((a) => RECIPES[a].subscription);

/** A provider type's API family: what its upstream speaks, and so what passes through untranslated. */
const FAMILY_OF_PROVIDER_TYPE = {
  openai: 'openai',
  'openai-compatible': 'openai',
  'azure-openai': 'openai',
  anthropic: 'anthropic',
  gemini: 'gemini',
} satisfies Record<(typeof PROVIDER_TYPES)[number], Family>;

const FAMILY_WORDS: Record<Family, string> = { openai: 'an OpenAI-format', anthropic: 'an Anthropic', gemini: 'a Gemini' };

export interface RouteInfo {
  name: string;
  /** The family of the route's first target's provider (null if that provider is not defined). */
  family: Family | null;
}

export function routesOf(config: Pick<GatehouseConfig, 'models' | 'providers'>): RouteInfo[] {
  const types = new Map(config.providers.map((p) => [p.id, p.type]));
  return config.models.map((r) => {
    const type = types.get(r.targets[0]!.provider);
    return { name: r.name, family: type ? FAMILY_OF_PROVIDER_TYPE[type] : null };
  });
}

/**
 * The route an agent gets when none is named: the first whose first target is a provider of the
 * agent's own API family (its requests pass through untranslated), else the first route.
 */
export function pickModel(agent: AgentId, routes: RouteInfo[]): { model: string; why: string } | null {
  const { title, family } = RECIPES[agent];
  const native = routes.find((r) => r.family === family);
  if (native) return { model: native.name, why: `the first route whose first target is ${FAMILY_WORDS[family]} provider, ${title}'s own API family: passed through, not translated` };
  const first = routes[0];
  if (!first) return null;
  return { model: first.name, why: `the first route in the config; none starts with ${FAMILY_WORDS[family]} provider, so ${title}'s requests are translated` };
}

/** The family of a named route's first target, or null (a `provider/model` name or an unknown route). */
export function familyOfRoute(model: string, routes: RouteInfo[]): Family | null {
  return routes.find((r) => r.name === model)?.family ?? null;
}

export interface SetupPlan {
  agent: AgentId;
  title: string;
  sources: string[];
  files: FileRecipe[];
  /** Each file as it would be written if it did not exist yet: what to print without --write. */
  snippets: { path: string; text: string }[];
  /** `export NAME='value'` lines, for agents that read these variables. */
  exports: string[];
  notes: string[];
}

export interface FileEdit {
  path: string;
  /** The file's text before, or null when it does not exist yet. */
  before: string | null;
  after: string;
  /** Holds the key: written mode 0600. */
  secret: boolean;
}

/** What setting up `input.agent` means, before anything is read from or written to its files. */
export function planSetup(input: SetupInput, read: ReadFile): SetupPlan {
  const recipe = RECIPES[input.agent];
  const plan = recipe.plan({ ...input, key: input.key ?? KEY_PLACEHOLDER }, read);
  return {
    agent: recipe.id,
    title: recipe.title,
    sources: recipe.sources,
    files: plan.files,
    snippets: plan.files.map((f) => ({ path: f.path, text: f.merge(null) })),
    exports: (plan.exports ?? []).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    notes: plan.notes,
  };
}

/** Each file's current text and the text with the settings merged in. */
export function fileEdits(plan: SetupPlan, read: ReadFile): FileEdit[] {
  return plan.files.map((f) => {
    const before = read(f.path);
    return { path: f.path, before, after: f.merge(before), secret: f.secret };
  });
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Virtual keys cut to their first characters (`gh_abcd…`), the way `keys list` shows them. */
export function maskKeys(text: string): string {
  return text.replace(/\bgh_[A-Za-z0-9_-]{8,}/g, (k) => `${k.slice(0, 7)}…`);
}

/** A unified diff of the edit, keys masked. */
export function unifiedDiff(edit: FileEdit): string {
  const patch = createTwoFilesPatch(edit.before === null ? '/dev/null' : edit.path, edit.path, maskKeys(edit.before ?? ''), maskKeys(edit.after), undefined, undefined, {
    context: 3,
  });
  // jsdiff opens with its own "Index:" and "=====" lines; a unified diff starts at "---".
  return patch.slice(patch.indexOf('--- ')).trimEnd();
}
