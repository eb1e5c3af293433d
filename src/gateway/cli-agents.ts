// `gatehouse agents setup AGENT`: points a coding agent at Gatehouse, printing or writing its settings.
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { KeyWithSecret } from '../shared/contract.js';
import type { ControlClient } from '../shared/control-client.js';
import { parseConfigText } from './config/load.js';
import { resolveServerSettings } from './config/settings.js';
import {
  AGENT_IDS,
  agentInfo,
  familyOfRoute,
  fileEdits,
  isAgentId,
  pickModel,
  planSetup,
  routesOf,
  SetupError,
  SUBSCRIPTION_AGENTS,
  unifiedDiff,
  type AgentId,
  type RouteInfo,
  type SetupInput,
  type SetupPlan,
} from './agents/setup.js';
import { readTextFile, writeEdit } from './agents/write.js';

export type FailKind = 'usage' | 'failed' | 'unreachable';

export interface AgentsDeps {
  io: { out: (s: string) => void; err: (s: string) => void; env: Record<string, string | undefined> };
  /** Runs `fn` against the control plane: the running gateway's admin API, else the data directory itself. */
  control: <T>(fn: (client: ControlClient) => Promise<T>) => Promise<T>;
  /** An error `main` reports and exits with (usage 2, failed 1, unreachable 3). */
  fail: (message: string, kind: FailKind) => Error;
  /** The clock that names backups. */
  now?: () => Date;
}

interface SetupFlags {
  key?: string;
  createKey?: boolean;
  model?: string;
  smallModel?: string;
  embedModel?: string;
  subscription?: boolean;
  url?: string;
  write?: boolean;
  home?: string;
}

/** What `keys create` prints: gh_ and 43 base64url characters; older or test keys may differ in length. */
const KEY_SHAPE = /^gh_[A-Za-z0-9_-]{16,}$/;
const FAMILY_WORDS = { openai: 'OpenAI-format', anthropic: 'Anthropic', gemini: 'Gemini' } as const;

function noKeyAdvice(agent: AgentId): string {
  return `make one with \`gatehouse agents setup ${agent} --create-key\` (or \`gatehouse keys create --name ${agent}\`) and pass it with --key gh_... or GATEHOUSE_KEY`;
}

/** The gateway's base URL without a trailing slash or `/v1` (each agent adds its own path). */
function gatewayBase(raw: string, fail: AgentsDeps['fail']): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail(`--url "${raw}": expected the gateway's address, e.g. http://127.0.0.1:4141`, 'usage');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`--url "${raw}": expected an http:// or https:// address`, 'usage');
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}`;
}

interface Resolved {
  url: string;
  urlWhy: string;
  model: string;
  modelWhy: string;
  routes: RouteInfo[] | null;
  created: KeyWithSecret | null;
}

/** The address, route and (with --create-key) key, from one session with the control plane. */
async function resolveGateway(agent: AgentId, f: SetupFlags, url: string | undefined, deps: AgentsDeps): Promise<Resolved> {
  const { fail, io } = deps;
  if (url !== undefined && f.model !== undefined && !f.createKey) return { url, urlWhy: 'from --url', model: f.model, modelWhy: 'from --model', routes: null, created: null };
  return deps.control(async (client) => {
    let found: { url: string; why: string } | null = url !== undefined ? { url, why: 'from --url' } : null;
    if (!found) {
      const status = await client.call('status:get', {});
      if (status.url) found = { url: status.url, why: `the running gateway, pid ${status.pid}` };
    }
    let routes: RouteInfo[] | null = null;
    if (!found || f.model === undefined) {
      const snap = await client.call('config:get', {});
      const parsed = parseConfigText(snap.text);
      if (!parsed.ok) throw fail(`${snap.path} has ${parsed.issues.length} problem(s) (\`gatehouse config validate\` lists them): fix it, or pass --url and --model`, 'failed');
      routes = routesOf(parsed.config);
      if (!found) {
        let port: number;
        let host: string;
        try {
          ({ port, host } = resolveServerSettings({}, io.env, parsed.config.server));
        } catch (err) {
          throw fail((err as Error).message, 'usage');
        }
        if (port === 0) throw fail(`no gateway is running and ${snap.path} asks for any free port (server.port: 0), so its address is not known: start \`gatehouse serve\`, or pass --url`, 'usage');
        const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
        found = { url: `http://${reachable}:${port}`, why: `no gateway is running; the address from ${snap.path}` };
      }
    }
    let model = f.model;
    let modelWhy = 'from --model';
    if (model === undefined) {
      const picked = pickModel(agent, routes!);
      if (!picked) throw fail(`the config has no routes (models:), so there is nothing to point ${agentInfo(agent).title} at: add one (see "Configure a provider" in the README), or pass --model PROVIDER/MODEL`, 'usage');
      ({ model, why: modelWhy } = picked);
    }
    // The key's default route catches the model names agents send on their own (dated ids, side-task models).
    const created = f.createKey ? await client.call('keys:create', { name: agent, defaultRoute: model }) : null;
    return { url: found.url, urlWhy: found.why, model, modelWhy, routes, created };
  });
}

function printPlan(plan: SetupPlan, out: (s: string) => void): void {
  for (const s of plan.snippets) {
    out(`\nPut this in ${s.path}${s.text.trim() === '' ? '' : ' (merged with what is there; the rest of the file stays)'}:\n`);
    out(s.text.trimEnd());
  }
  if (plan.exports.length > 0) {
    out('\nOr set the same variables in your shell (for one session, or in your shell profile):\n');
    for (const line of plan.exports) out(line);
  }
}

export function agentsCommand(program: Command, deps: AgentsDeps): Command {
  const { io, fail } = deps;
  const agents = program.command('agents').description('point coding agents at Gatehouse');
  agents
    .command('setup <agent>')
    .description(`print (or --write) the settings that send an agent through Gatehouse: ${AGENT_IDS.join(', ')}`)
    .option('--key <key>', 'the virtual key the agent uses (default: GATEHOUSE_KEY)')
    .option('--create-key', 'create a key named after the agent, with the model as its default route')
    .option('--model <route>', 'the route the agent asks for (default: a route of the agent\'s own API family)')
    .option('--small-model <route>', 'a cheaper route for side tasks (Claude Code, Continue autocomplete, opencode, Aider)')
    .option('--embed-model <route>', 'a route to an OpenAI-format embeddings model (Continue)')
    .option('--subscription', `keep the agent's own sign-in and send the key in x-gatehouse-key (${SUBSCRIPTION_AGENTS.join(', ')})`)
    .option('--url <url>', 'the gateway\'s address (default: the running gateway, else the config\'s server.port)')
    .option('--write', 'merge the settings into the agent\'s own user-level file (backed up first) and print the diff')
    .option('--home <dir>', 'the home directory to write under (default: yours; agents\' folder variables such as CODEX_HOME are then ignored)')
    .action(async (agentArg: string, f: SetupFlags) => {
      if (!isAgentId(agentArg)) throw fail(`unknown agent "${agentArg}": expected one of ${AGENT_IDS.join(', ')}`, 'usage');
      const agent = agentArg;
      const info = agentInfo(agent);
      if (f.subscription && !info.subscription) {
        throw fail(`--subscription works with ${SUBSCRIPTION_AGENTS.join(' and ')} only: ${info.title} signs in with a key, so give it a Gatehouse key instead`, 'usage');
      }
      if (f.embedModel !== undefined && agent !== 'continue') throw fail('--embed-model is for continue only (its codebase index)', 'usage');
      if (f.key !== undefined && f.createKey) throw fail('give --key or --create-key, not both', 'usage');
      if (f.key !== undefined && !KEY_SHAPE.test(f.key)) throw fail('--key: expected a Gatehouse virtual key (gh_...), as `gatehouse keys create` prints it', 'usage');
      const envKey = io.env.GATEHOUSE_KEY?.trim() || undefined;
      if (f.key === undefined && !f.createKey && envKey !== undefined && !KEY_SHAPE.test(envKey)) {
        throw fail('GATEHOUSE_KEY does not hold a Gatehouse virtual key (gh_...): fix it, or pass --key', 'usage');
      }
      let key = f.key ?? (f.createKey ? null : (envKey ?? null));
      const keyWhy = f.key !== undefined ? 'from --key' : 'from GATEHOUSE_KEY';
      if (f.write && key === null && !f.createKey) throw fail(`--write needs a key to put in ${info.title}'s settings: ${noKeyAdvice(agent)}`, 'usage');
      const url = f.url !== undefined ? gatewayBase(f.url, fail) : undefined;

      const gw = await resolveGateway(agent, f, url, deps);
      if (gw.created) key = gw.created.secret;

      const input: SetupInput = {
        agent,
        gatewayUrl: gw.url,
        key,
        model: gw.model,
        ...(f.smallModel !== undefined ? { smallModel: f.smallModel } : {}),
        ...(f.embedModel !== undefined ? { embedModel: f.embedModel } : {}),
        subscription: f.subscription ?? false,
        home: f.home !== undefined ? resolve(f.home) : homedir(),
        env: f.home !== undefined ? {} : io.env,
      };

      io.out(`${info.title} -> Gatehouse at ${gw.url} (${gw.urlWhy})`);
      io.out(`model: ${gw.model} (${gw.modelWhy})`);
      if (gw.routes) {
        const family = familyOfRoute(gw.model, gw.routes);
        const known = gw.routes.some((r) => r.name === gw.model) || gw.model.includes('/');
        if (!known) io.out(`note: ${gw.model} is not a route in the config; requests for it are refused unless an alias or the key's default route covers it (routes: ${gw.routes.map((r) => r.name).join(', ') || 'none'})`);
        if (f.subscription && family !== null && family !== info.family) {
          io.out(`note: with --subscription your own sign-in is passed only to ${FAMILY_WORDS[info.family]} providers, and ${gw.model} starts with ${FAMILY_WORDS[family]} one: pick a route with --model`);
        }
      }
      if (gw.created) {
        const k = gw.created.key;
        io.out(`created key ${k.id} (${k.name}), default route ${k.defaultRoute}\n\n  ${gw.created.secret}\n\nThis is the only time the key is shown${f.write ? ' (it goes into the file below)' : ''}: store it now.`);
      } else if (key !== null) {
        io.out(`key: ${key.slice(0, 7)}… (${keyWhy})`);
      } else {
        io.out(`key: none given, so the settings below hold the placeholder gh_YOUR_KEY: ${noKeyAdvice(agent)}`);
      }

      try {
        const plan = planSetup(input, readTextFile);
        if (!f.write) {
          printPlan(plan, io.out);
          io.out(`\nRun again with --write to merge this into ${plan.files.map((x) => x.path).join(' and ')} (each file is backed up first).`);
        } else {
          const edits = fileEdits(plan, readTextFile);
          if (edits.every((e) => e.before === e.after)) {
            io.out(`\n${info.title} is already set up, no change: ${edits.map((e) => e.path).join(' and ')} ${edits.length === 1 ? 'has' : 'have'} these settings.`);
          } else {
            const now = deps.now?.() ?? new Date();
            for (const e of edits) {
              if (e.before === e.after) {
                io.out(`\n${e.path}: already set, no change`);
                continue;
              }
              const r = writeEdit(e, now);
              io.out(`\nwrote ${r.path}${r.backup ? ` (backup: ${r.backup})` : ' (new file)'}${e.secret ? ', mode 0600' : ''}`);
              io.out(unifiedDiff(e));
            }
          }
        }
        io.out('');
        for (const n of plan.notes) io.out(`note: ${n}`);
        io.out(`docs: ${plan.sources.join(', ')}`);
      } catch (err) {
        if (err instanceof SetupError) throw fail(err.message, 'failed');
        throw err;
      }
    });
  return agents;
}
