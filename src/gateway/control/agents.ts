// The console's Agents area: each coding agent's files and last-seen time (agents:list), and its setup (agents:setup) through the same recipes as `gatehouse agents setup`.
import { AGENTS_SEEN_SCAN, type AgentFileState, type AgentSeen, type AgentSetupParams, type AgentSetupResult, type AgentsOverview, type KeyCreateParams, type KeyWithSecret } from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import type { GatehouseConfig } from '../config/schema.js';
import { AGENT_IDS, agentInfo, familyOfRoute, fileEdits, isAgentId, pickModel, planSetup, routesOf, SetupError, unifiedDiff, type AgentId, type SetupPlan } from '../agents/setup.js';
import { readTextFile, writeEdit } from '../agents/write.js';
import { keyStatus, type KeyIndex } from '../policy/keys.js';
import type { Db } from '../store/db.js';
import { getKey } from '../store/keys.js';
import type { Ledger } from '../store/ledger.js';
import type { Actor } from './service.js';

export interface AgentsContext {
  db: Db;
  ledger: Ledger;
  keys: KeyIndex;
  now: () => Date;
  /** The running gateway's base URL; '' while it is not serving. */
  gatewayUrl: string;
  config: Pick<GatehouseConfig, 'models' | 'providers'>;
  sightings: Sightings;
  /** The home directory and environment the agents' files are found under (the gateway's own user). */
  home: string;
  env: Record<string, string | undefined>;
  createKey: (params: KeyCreateParams, actor: Actor) => Promise<KeyWithSecret> | KeyWithSecret;
}

/**
 * User-agent prefixes of each agent, checked against what the CLIs send: Claude Code
 * `claude-cli/2.1.197 (...)`, Codex `codex_exec/...` or `codex_cli_rs/...`, Gemini CLI
 * `GeminiCLI/0.61.0 (...)` (test/e2e/agents.test.ts records all three). Continue, opencode and Aider
 * are matched on their names; one that sends only its SDK's user-agent is listed among the other clients.
 */
const CLIENT_PATTERNS: [AgentId, RegExp][] = [
  ['claude-code', /^claude-(cli|code)\//i],
  ['codex', /^codex[_-]/i],
  ['gemini', /^gemini-?cli\//i],
  ['opencode', /\bopencode\b/i],
  ['continue', /\bcontinue(dev)?\//i],
  ['aider', /\baider\b/i],
];

export function agentOfClient(client: string): AgentId | null {
  return CLIENT_PATTERNS.find(([, re]) => re.test(client))?.[0] ?? null;
}

/**
 * The newest model call per user-agent, kept up to date incrementally: the first read covers the
 * last AGENTS_SEEN_SCAN ledger records, each later one only the records appended since, so a
 * console refreshing on traffic never rescans the ledger (SQLite reads block the gateway's loop).
 */
export function createSightings() {
  const byClient = new Map<string, AgentSeen>();
  let throughSeq = 0;
  let firstSeq = 0;
  return {
    read(db: Db): { seen: AgentSeen[]; scanned: number } {
      const last = (db.prepare('SELECT max(seq) AS last FROM events').get() as { last: number | null }).last ?? 0;
      if (last < throughSeq) {
        // A different (or emptied) ledger: start again.
        byClient.clear();
        throughSeq = 0;
      }
      if (last > throughSeq) {
        const low = Math.max(throughSeq + 1, last - AGENTS_SEEN_SCAN + 1, 1);
        if (throughSeq === 0) firstSeq = low;
        // SQLite takes the bare keyId from the row holding max(at): the latest call's key.
        const rows = db
          .prepare(
            `SELECT json_extract(body, '$.client') AS client, max(at) AS at, count(*) AS requests, json_extract(body, '$.keyId') AS keyId
             FROM events WHERE seq BETWEEN ? AND ? AND type = 'llm.request' AND json_extract(body, '$.client') IS NOT NULL
             GROUP BY 1`,
          )
          .all(low, last) as AgentSeen[];
        for (const r of rows) {
          const before = byClient.get(r.client);
          byClient.set(r.client, before && before.at > r.at ? { ...before, requests: before.requests + r.requests } : { ...r, requests: r.requests + (before?.requests ?? 0) });
        }
        throughSeq = last;
      }
      const seen = [...byClient.values()].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      return { seen, scanned: throughSeq === 0 ? 0 : throughSeq - firstSeq + 1 };
    },
  };
}

export type Sightings = ReturnType<typeof createSightings>;

/** The newest of several sightings, with the calls of all of them. */
function merged(sightings: AgentSeen[]): AgentSeen | null {
  if (sightings.length === 0) return null;
  const latest = sightings.reduce((a, b) => (b.at > a.at ? b : a));
  return { ...latest, requests: sightings.reduce((n, s) => n + s.requests, 0) };
}

const KEY_IN_TEXT = /\bgh_[A-Za-z0-9_-]{16,}/;

/** Which of this gateway's keys a file holds, by its hash (the secret is never returned). */
function keyInFile(text: string, ctx: AgentsContext): AgentFileState['key'] {
  const secret = KEY_IN_TEXT.exec(text)?.[0];
  if (!secret) return null;
  const found = ctx.keys.authenticate(secret, ctx.now());
  if (found.ok) return { status: 'active', id: found.key.id, name: found.key.name, prefix: found.key.prefix };
  return { status: found.reason, id: null, name: null, prefix: found.prefix };
}

function gatewayUrlOrFail(ctx: AgentsContext): string {
  if (!ctx.gatewayUrl) throw new ControlError('unavailable', 'agents are pointed at the running gateway, and this one is not serving: start `gatehouse serve`, or use `gatehouse agents setup AGENT --url URL`');
  return ctx.gatewayUrl;
}

function setupErrorToControl(err: unknown): never {
  if (err instanceof SetupError) {
    throw new ControlError(err.code === 'SETUP_UNREADABLE' || err.code === 'SETUP_WRITE' ? 'unavailable' : 'conflict', err.message);
  }
  throw err;
}

export function listAgents(ctx: AgentsContext): AgentsOverview {
  const gatewayUrl = gatewayUrlOrFail(ctx);
  const routes = routesOf(ctx.config);
  const { seen, scanned } = ctx.sightings.read(ctx.db);
  const byAgent = new Map<AgentId, AgentSeen[]>();
  const otherClients: AgentSeen[] = [];
  for (const s of seen) {
    const agent = agentOfClient(s.client);
    if (agent) byAgent.set(agent, [...(byAgent.get(agent) ?? []), s]);
    else otherClients.push(s);
  }
  const agents = AGENT_IDS.map((agent) => {
    const info = agentInfo(agent);
    const suggestedModel = pickModel(agent, routes);
    let files: AgentFileState[] = [];
    let problem: string | null = null;
    try {
      // The placeholder key: only the paths and the current files matter here.
      const plan = planSetup({ agent, gatewayUrl, key: null, model: suggestedModel?.model ?? 'MODEL', home: ctx.home, env: ctx.env }, readTextFile);
      files = plan.files.map((f) => {
        const text = readTextFile(f.path);
        return { path: f.path, exists: text !== null, holdsKey: f.secret, pointsHere: text !== null && text.includes(gatewayUrl), key: text === null ? null : keyInFile(text, ctx) };
      });
    } catch (err) {
      if (!(err instanceof SetupError)) throw err;
      problem = err.message;
    }
    const keyFiles = files.filter((f) => f.holdsKey);
    return {
      id: agent,
      title: info.title,
      family: info.family,
      subscription: info.subscription,
      files,
      pointsHere: keyFiles.length > 0 && keyFiles.every((f) => f.pointsHere),
      suggestedModel,
      lastSeen: merged(byAgent.get(agent) ?? []),
      sources: info.sources,
      problem,
    };
  });
  return { gatewayUrl, routes, agents, otherClients, scanned };
}

/** The key the settings carry: created, given by its secret (checked against the gateway's hashes), or none. */
async function resolveKey(p: AgentSetupParams, agent: AgentId, model: string, ctx: AgentsContext, actor: Actor) {
  if (p.createKey) {
    // Its default route catches the model names agents send on their own (dated ids, side-task models), as the CLI does.
    const created = await ctx.createKey({ name: agent, defaultRoute: model }, actor);
    return { secret: created.secret, key: { id: created.key.id, name: created.key.name, prefix: created.key.prefix }, created };
  }
  if (p.key !== undefined) {
    const found = ctx.keys.authenticate(p.key, ctx.now());
    if (!found.ok) throw new ControlError('invalid_params', `key: that secret is not a live key of this gateway (${found.reason}); pick another key or create one`);
    if (p.keyId !== undefined && found.key.id !== p.keyId) throw new ControlError('invalid_params', `key: that secret belongs to key "${found.key.name}", not to ${p.keyId}`);
    return { secret: p.key, key: { id: found.key.id, name: found.key.name, prefix: found.key.prefix }, created: null };
  }
  if (p.keyId !== undefined) {
    const row = getKey(ctx.db, p.keyId);
    if (!row) throw new ControlError('not_found', `no key with id "${p.keyId}"; list them with: gatehouse keys list`);
    if (keyStatus(row, ctx.now()) !== 'active') throw new ControlError('invalid_params', `keyId: key "${row.name}" is ${keyStatus(row, ctx.now())}; pick a live key or create one`);
    // The gateway keeps only the key's hash: the snippets carry the placeholder for the person to replace.
    return { secret: null, key: { id: row.id, name: row.name, prefix: row.prefix }, created: null };
  }
  return { secret: null, key: null, created: null };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export async function setupAgent(ctx: AgentsContext, p: AgentSetupParams, actor: Actor): Promise<AgentSetupResult> {
  if (!isAgentId(p.agent)) throw new ControlError('invalid_params', `agent: expected one of ${AGENT_IDS.join(', ')}`);
  const agent = p.agent;
  const info = agentInfo(agent);
  const gatewayUrl = gatewayUrlOrFail(ctx);
  if (p.subscription && !info.subscription) throw new ControlError('invalid_params', `subscription: ${info.title} signs in with a key only; give it a Gatehouse key instead`);
  const routes = routesOf(ctx.config);
  let model = p.model;
  let modelWhy = 'as chosen';
  if (model === undefined) {
    const picked = pickModel(agent, routes);
    if (!picked) throw new ControlError('invalid_params', `the config has no routes (models:), so there is nothing to point ${info.title} at: add a provider and a route first`);
    ({ model, why: modelWhy } = picked);
  }
  // Checked before a key is created, so a refused write leaves no stray key behind.
  const planFor = (key: string | null): SetupPlan => {
    try {
      return planSetup(
        { agent, gatewayUrl, key, model, ...(p.smallModel !== undefined ? { smallModel: p.smallModel } : {}), subscription: p.subscription ?? false, home: ctx.home, env: ctx.env },
        readTextFile,
      );
    } catch (err) {
      return setupErrorToControl(err);
    }
  };
  const paths = planFor(null).files.map((f) => f.path);
  if (p.write) {
    if (!p.createKey && p.key === undefined) {
      throw new ControlError('invalid_params', `write needs the key to put in ${info.title}'s settings: create one for this agent, or give an existing key's secret`);
    }
    if (!sameSet(p.confirmPaths ?? [], paths)) {
      throw new ControlError('conflict', `the files to write are ${paths.join(' and ')}, not the ones confirmed (${(p.confirmPaths ?? []).join(', ') || 'none'}): confirm again`);
    }
  }
  const { secret, key, created } = await resolveKey(p, agent, model, ctx, actor);
  const plan = planFor(secret);
  const notes = [...plan.notes];
  if (secret === null && key) notes.unshift(`Replace gh_YOUR_KEY with the secret of key "${key.name}" (${key.prefix}…): the gateway keeps only its hash.`);
  if (!routes.some((r) => r.name === model) && !model.includes('/')) {
    notes.unshift(`${model} is not a route in the config: requests for it are refused unless an alias or the key's default route covers it.`);
  }
  const family = familyOfRoute(model, routes);
  if (p.subscription && family !== null && family !== info.family) {
    notes.unshift(`With the agent's own sign-in, requests pass only to providers of its own API family, and ${model} starts with a ${family} provider: pick another route.`);
  }

  let written: AgentSetupResult['written'] = null;
  if (p.write) {
    try {
      const now = ctx.now();
      written = fileEdits(plan, readTextFile).map((e) => {
        if (e.before === e.after) return { path: e.path, changed: false, backup: null, secret: e.secret, diff: '' };
        const r = writeEdit(e, now);
        return { path: r.path, changed: true, backup: r.backup, secret: e.secret, diff: unifiedDiff(e) };
      });
    } catch (err) {
      setupErrorToControl(err);
    }
    ctx.ledger.appendNow({ type: 'admin.agent.configured', actor, agent, model, keyId: key?.id ?? null, files: written.filter((w) => w.changed).map((w) => w.path) });
  }
  return { agent, title: info.title, gatewayUrl, model, modelWhy, key, created, snippets: plan.snippets, exports: plan.exports, notes, written };
}
