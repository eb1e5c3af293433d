// The plain-Node entry: `gatehouse serve`, `keys`, `users`, `teams`, `secrets`, `config`, `console`, `status`, `report`, `agents setup`, `doctor`.
import { Command, CommanderError, Option } from 'commander';
import type { GuardCheck } from './policy/guardrails/check.js';
import type { GuardLocation } from './policy/guardrails/types.js';
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  BUDGET_WINDOWS,
  parseBudgetSpec,
  USAGE_GROUP_BYS,
  type BudgetSpec,
  type ControlMethod,
  type ControlParams,
  type ControlResult,
  type KeyCreateParams,
  type KeySummary,
  type KeyWithSecret,
  type PolicyFields,
  type TeamSummary,
  type UserSummary,
  type UsageGroupBy,
} from '../shared/contract.js';
import { ControlError, createControlClient, httpTransport, type ControlClient } from '../shared/control-client.js';
import { formatIssues, parseConfigText } from './config/load.js';
import { VERSION } from './version.js';
import { agentsCommand } from './cli-agents.js';
import { auditCommand } from './cli-audit.js';
import { AGENT_FAMILY, DOCTOR_AGENTS, type DoctorAgent } from './doctor/agents.js';
import { adminToken, isAlive, readLock } from './instance.js';
import { routeForFamily } from './llm/routing.js';
import { createLogger } from './log.js';
import { resolveDataDir, dataFiles } from './paths.js';
import { usageRange, UsageParamsError } from './store/usage.js';
import { usageCsv } from './report/csv.js';
import { gatherReport } from './report/data.js';
import { renderHtml } from './report/html.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Io {
  /** A line on standard output. */
  out: (s: string) => void;
  /** Text on standard output exactly as given (a CSV ends its own lines). */
  write: (s: string) => void;
  err: (s: string) => void;
  stdin: () => Promise<string>;
  env: Record<string, string | undefined>;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('pipe the secret value on standard input, e.g.: printf %s "$KEY" | gatehouse secrets set NAME', EXIT.usage);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The gateway itself (and the MCP bridge, the guardrails, the doctor) is loaded by the commands that
 * use it: a command that talks to a running gateway, `--version` and `mcp-stdio` start in a fraction
 * of the time.
 */
const loadGateway = (): Promise<typeof import('./index.js')> => import('./index.js');

/**
 * Runs one control call against the running gateway (through its admin API, so there is one
 * writer and changes apply at once) or, when none runs, against the data directory directly.
 */
async function withControl<T>(dataDir: string, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  const lock = readLock(dataDir);
  if (lock && isAlive(lock.pid)) {
    const client = createControlClient(httpTransport(lock.url, adminToken(dataDir)));
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof TypeError) {
        throw new CliError(`a gateway (pid ${lock.pid}) holds ${join(dataDir, dataFiles.lock)} but does not answer at ${lock.url}: ${(err.cause as Error | undefined)?.message ?? err.message}`, EXIT.unreachable);
      }
      throw err;
    }
  }
  const { createGateway } = await loadGateway();
  const gateway = createGateway({ dataDir }, { logger: createLogger({ level: 'warn' }) });
  try {
    await gateway.open();
  } catch (err) {
    throw new CliError(`cannot open the data directory ${dataDir}: ${(err as Error).message}`, EXIT.unreachable);
  }
  try {
    return await fn({ call: (m, p) => gateway.call(m, p, 'cli') as never });
  } finally {
    await gateway.stop();
  }
}

function parseBudget(spec: string, all: BudgetSpec[] = []): BudgetSpec[] {
  const parsed = parseBudgetSpec(spec);
  if (!parsed) throw new CliError(`--budget "${spec}": expected AMOUNT/WINDOW in US dollars, e.g. 5/day or 50/month (windows: ${BUDGET_WINDOWS.join(', ')})`, EXIT.usage);
  return [...all, parsed];
}

function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new CliError(`${flag} "${v}": expected a positive whole number`, EXIT.usage);
    return Number(v);
  };
}

function globs(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function isoDate(v: string): string {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CliError(`--expires "${v}": expected an ISO date or time, e.g. 2026-12-31 or 2026-12-31T18:00:00Z`, EXIT.usage);
  return new Date(t).toISOString();
}

/** The grant, budget and limit flags keys, users and teams share; `whose` says whose calls they govern. */
function policyOptions(cmd: Command, whose: string): Command {
  return cmd
    .option('--models <globs>', `routes/models ${whose} may call, comma-separated globs`, globs)
    .option('--mcp-tools <globs>', `MCP tools (server__tool) ${whose} may call, comma-separated globs`, globs)
    .option('--budget <amount/window>', `a spending limit in USD on ${whose}, repeatable: 5/day, 50/month`, parseBudget)
    .option('--rpm <n>', `requests per minute of ${whose}`, positiveInt('--rpm'))
    .option('--tpm <n>', `tokens per minute of ${whose}`, positiveInt('--tpm'))
    .option('--max-concurrency <n>', `requests of ${whose} in flight at once`, positiveInt('--max-concurrency'));
}

interface PolicyFlags {
  models?: string[];
  mcpTools?: string[];
  budget?: BudgetSpec[];
  rpm?: number;
  tpm?: number;
  maxConcurrency?: number;
}

function policyParams(f: PolicyFlags): Partial<PolicyFields> {
  const p: Partial<PolicyFields> = {};
  if (f.models) p.models = f.models;
  if (f.mcpTools) p.mcpTools = f.mcpTools;
  if (f.budget) p.budgets = f.budget;
  if (f.rpm !== undefined) p.rpm = f.rpm;
  if (f.tpm !== undefined) p.tpm = f.tpm;
  if (f.maxConcurrency !== undefined) p.maxConcurrency = f.maxConcurrency;
  return p;
}

function keyOptions(cmd: Command): Command {
  return policyOptions(
    cmd.option('--user <id|name>', 'the user the key belongs to (gatehouse users list)').option('--team <id|name>', 'the team the key belongs to (gatehouse teams list)'),
    'the key',
  )
    .option('--default-route <route>', 'the route for model names the config does not know (names agents send on their own)')
    .option('--toolset <name>', 'the MCP toolset (under toolsets in the config) its MCP sessions are offered')
    .option('--guardrails <profile>', 'the guardrail profile (under guardrails.profiles in the config) its calls run with; "none" for the global settings')
    .option('--expires <iso>', 'when the key stops working', isoDate)
    .option('--json', 'print JSON');
}

interface KeyFlags extends PolicyFlags {
  name?: string;
  user?: string;
  team?: string;
  defaultRoute?: string;
  toolset?: string;
  guardrails?: string;
  expires?: string;
  json?: boolean;
}

function keyParams(f: KeyFlags): Omit<KeyCreateParams, 'name'> {
  const p: Omit<KeyCreateParams, 'name'> = {};
  if (f.user !== undefined) p.userId = f.user;
  if (f.team !== undefined) p.teamId = f.team;
  Object.assign(p, policyParams(f));
  if (f.defaultRoute !== undefined) p.defaultRoute = f.defaultRoute;
  if (f.toolset !== undefined) p.mcpToolset = f.toolset;
  if (f.guardrails !== undefined) p.guardrails = f.guardrails === 'none' ? null : f.guardrails;
  if (f.expires !== undefined) p.expiresAt = f.expires;
  return p;
}

/** Settings stored with the key but not enforced by this version yet; say so. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function keysTable(keys: KeySummary[]): string {
  if (keys.length === 0) return 'no keys yet: gatehouse keys create --name NAME';
  return table([
    ['ID', 'NAME', 'PREFIX', 'STATUS', 'MODELS', 'EXPIRES', 'CREATED'],
    ...keys.map((k) => [k.id, k.name, `${k.prefix}…`, k.status, k.models.join(',') || '*', k.expiresAt ?? '-', k.createdAt]),
  ]);
}

function ownersTable(kind: 'user' | 'team', rows: (UserSummary | TeamSummary)[]): string {
  if (rows.length === 0) return `no ${kind}s yet: gatehouse ${kind}s create --name NAME`;
  const email = (r: UserSummary | TeamSummary): string[] => (kind === 'user' ? [('email' in r && r.email) || '-'] : []);
  return table([
    ['ID', 'NAME', ...(kind === 'user' ? ['EMAIL'] : []), 'STATUS', 'KEYS', 'MODELS', 'BUDGETS', 'CREATED'],
    ...rows.map((r) => [
      r.id,
      r.name,
      ...email(r),
      r.status,
      String(r.keyCount),
      r.models.join(',') || '*',
      r.budgets.map((b) => `${b.amountUsd}/${b.window}`).join(',') || '-',
      r.createdAt,
    ]),
  ]);
}

/** `gatehouse users ...` and `gatehouse teams ...`: the same commands over either record. */
function ownerCommands(
  program: Command,
  io: Io,
  kind: 'user' | 'team',
  call: <M extends ControlMethod>(m: M, p: ControlParams<M>) => Promise<ControlResult<M>>,
): void {
  const plural = `${kind}s` as const;
  const cmd = program
    .command(plural)
    .description(
      kind === 'user'
        ? 'users: the people keys belong to, with grants, budgets and limits over all their keys (never deleted: disable one instead)'
        : 'teams: groups of keys, with grants, budgets and limits over all their keys (never deleted: disable one instead)',
    );
  const print = (r: UserSummary | TeamSummary, json: boolean | undefined, verb: string): void =>
    io.out(json ? JSON.stringify(r, null, 2) : `${verb} ${kind} ${r.id} (${r.name})`);
  const whose = `the ${kind}'s keys (all together)`;
  type Flags = PolicyFlags & { name?: string; email?: string; json?: boolean };
  const withEmail = (c: Command): Command => (kind === 'user' ? c.option('--email <address>', 'contact address') : c);

  policyOptions(withEmail(cmd.command('create').description(`create a ${kind}`).requiredOption('--name <name>', 'a unique name, usable in place of the id')), whose)
    .option('--json', 'print JSON')
    .action(async (f: Flags) => {
      const policy = policyParams(f);
      const email = kind === 'user' && f.email !== undefined ? { email: f.email } : {};
      const r = await call(`${plural}:create`, { name: f.name!, ...email, ...policy });
      print(r, f.json, 'created');
    });
  cmd
    .command('list')
    .description(`list ${plural} with the number of keys (not revoked) each has`)
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const list = await call(`${plural}:list`, {});
      io.out(f.json ? JSON.stringify(list, null, 2) : ownersTable(kind, list));
    });
  policyOptions(withEmail(cmd.command('update <id|name>').description(`change a ${kind}`).option('--name <name>', 'a new unique name')), whose)
    .option('--json', 'print JSON')
    .action(async (ref: string, f: Flags) => {
      const policy = policyParams(f);
      const email = kind === 'user' && f.email !== undefined ? { email: f.email } : {};
      const r = await call(`${plural}:update`, { id: ref, ...(f.name !== undefined ? { name: f.name } : {}), ...email, ...policy });
      print(r, f.json, 'updated');
    });
  cmd
    .command('disable <id|name>')
    .description(`disable a ${kind}: all its keys are refused (there is no delete: the ledger keeps referring to it)`)
    .option('--json', 'print JSON')
    .action(async (ref: string, f: { json?: boolean }) => {
      print(await call(`${plural}:disable`, { id: ref }), f.json, 'disabled');
    });
  cmd
    .command('enable <id|name>')
    .description(`enable a disabled ${kind} again`)
    .option('--json', 'print JSON')
    .action(async (ref: string, f: { json?: boolean }) => print(await call(`${plural}:enable`, { id: ref }), f.json, 'enabled'));
}

function printKeySecret(io: Io, r: KeyWithSecret, json: boolean | undefined, verb: string): void {
  if (json) {
    io.out(JSON.stringify({ id: r.key.id, key: r.secret, name: r.key.name, prefix: r.key.prefix }));
    return;
  }
  io.out(`${verb} key ${r.key.id} (${r.key.name})\n\n  ${r.secret}\n\nThis is the only time the key is shown: store it now.`);
}

const REPORT_FORMATS = ['json', 'csv', 'html', 'pdf'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

function reportFormat(v: string): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(v)) return v as ReportFormat;
  throw new CliError(`--format "${v}": expected one of ${REPORT_FORMATS.join(', ')}`, EXIT.usage);
}

function reportGroupBy(v: string): UsageGroupBy {
  if ((USAGE_GROUP_BYS as readonly string[]).includes(v)) return v as UsageGroupBy;
  throw new CliError(`--group-by "${v}": expected one of ${USAGE_GROUP_BYS.join(', ')}`, EXIT.usage);
}

/** Temp file beside the target, then rename: a reader never sees half a report. Mode 0600: usage is private. */
function writeFileAtomically(path: string, text: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    // fchmod as well: the umask may have narrowed the mode openSync asked for.
    fchmodSync(fd, 0o600);
    writeSync(fd, typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.failed);
  }
}

export function buildProgram(io: Io): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: a personal governed AI gateway')
    .version(VERSION)
    .addOption(new Option('--data-dir <dir>', 'the data directory').env('GATEHOUSE_DATA_DIR'))
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    .showHelpAfterError(false);

  const dataDir = (): string => resolveDataDir(program.opts<{ dataDir?: string }>().dataDir, io.env);
  const call = <M extends ControlMethod>(m: M, p: ControlParams<M>): Promise<ControlResult<M>> => withControl(dataDir(), (c) => c.call(m, p));

  program
    .command('serve')
    .description('run the gateway and the web console')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 4141)', (v) => {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new CliError(`--port "${v}": expected a number from 0 to 65535`, EXIT.usage);
      return Number(v);
    })
    .option('--config <file>', 'config file (default: gatehouse.yaml in the data directory)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace')
    .action(async (o: { host?: string; port?: number; config?: string; logLevel?: string }) => {
      const { createGateway } = await loadGateway();
      const gateway = createGateway({
        dataDir: dataDir(),
        configPath: o.config ? resolve(o.config) : io.env.GATEHOUSE_CONFIG ? resolve(io.env.GATEHOUSE_CONFIG) : undefined,
        flags: { host: o.host, port: o.port, logLevel: o.logLevel },
        env: io.env,
      });
      let started;
      try {
        started = await gateway.start();
      } catch (err) {
        await gateway.stop().catch(() => undefined);
        throw new CliError(`gatehouse could not start: ${(err as Error).message}`, (err as { code?: string }).code === 'CONFIG_INVALID' ? EXIT.failed : EXIT.unreachable);
      }
      io.out(`gatehouse listening on ${started.url}`);
      io.out(`console: ${started.consoleUrl}`);
      await new Promise<void>((resolveStop) => {
        const shutdown = (): void => {
          gateway.stop().finally(resolveStop);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  const config = program.command('config').description('check and edit the config file');
  config
    .command('validate [file]')
    .description('check a config file and name every wrong field')
    .action((file: string | undefined) => {
      const path = resolve(file ?? io.env.GATEHOUSE_CONFIG ?? join(dataDir(), dataFiles.config));
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT.unreachable);
      }
      const r = parseConfigText(text);
      if (r.ok) {
        io.out(`${path}: valid (${r.config.providers.length} providers, ${r.config.models.length} routes, ${r.config.mcpServers.length} MCP servers)`);
        return;
      }
      io.err(formatIssues(path, r.issues));
      throw new CliError(`${path}: ${r.issues.length} problem${r.issues.length === 1 ? '' : 's'}`, EXIT.failed);
    });
  config
    .command('set <path> <value>')
    .description('set one field (dotted path, e.g. server.port) keeping comments and order; the value is YAML')
    .action(async (path: string, value: string) => {
      const segments = path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const snap = await call('config:get', {});
      const next = await call('config:edit', { baseHash: snap.hash, ops: [{ op: 'set', path: segments, value: parseYaml(value) as unknown }] });
      io.out(`${next.path}: ${path} set`);
    });
  config
    .command('path')
    .description('print where the config file is')
    .action(async () => io.out((await call('config:get', {})).path));

  const keys = program.command('keys').description('virtual keys for agents and SDKs');
  keyOptions(keys.command('create').description('create a key; prints its secret once').requiredOption('--name <name>', 'a name to recognise it by')).action(
    async (f: KeyFlags) => {
      const params = keyParams(f);
      const r = await call('keys:create', { name: f.name!, ...params });
      printKeySecret(io, r, f.json, 'created');
    },
  );
  keys
    .command('list')
    .description('list keys (secrets are never shown again)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON')
    .action(async (f: { all?: boolean; json?: boolean }) => {
      const list = await call('keys:list', { includeRevoked: f.all ?? false });
      io.out(f.json ? JSON.stringify(list, null, 2) : keysTable(list));
    });
  keyOptions(keys.command('update <id>').description('change a key (its secret stays)').option('--name <name>', 'a new name')).action(
    async (id: string, f: KeyFlags) => {
      const params = keyParams(f);
      const k = await call('keys:update', { id, ...(f.name ? { name: f.name } : {}), ...params });
      io.out(f.json ? JSON.stringify(k, null, 2) : `updated key ${k.id} (${k.name})`);
    },
  );
  keys
    .command('rotate <id>')
    .description('issue a new secret for the key; the old one stops working at once')
    .option('--json', 'print JSON')
    .action(async (id: string, f: { json?: boolean }) => printKeySecret(io, await call('keys:rotate', { id }), f.json, 'rotated'));
  keys
    .command('revoke <id>')
    .description('revoke a key at once')
    .option('--json', 'print JSON')
    .action(async (id: string, f: { json?: boolean }) => {
      const k = await call('keys:revoke', { id });
      io.out(f.json ? JSON.stringify(k, null, 2) : `revoked key ${k.id} (${k.name})`);
    });

  ownerCommands(program, io, 'user', call);
  ownerCommands(program, io, 'team', call);

  const secrets = program.command('secrets').description('provider secrets in the OS keychain (referred to as keychain:NAME)');
  secrets
    .command('set <name>')
    .description('store a secret; the value is read from standard input')
    .action(async (name: string) => {
      const value = (await io.stdin()).replace(/\r?\n$/, '');
      if (!value) throw new CliError('no value on standard input', EXIT.usage);
      await call('secrets:set', { name, value });
      io.out(`stored keychain:${name}`);
    });
  secrets
    .command('list')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const list = await call('secrets:list', {});
      io.out(f.json ? JSON.stringify(list) : list.length ? list.map((s) => `keychain:${s.name}`).join('\n') : 'no secrets stored');
    });
  secrets
    .command('delete <name>')
    .action(async (name: string) => {
      const r = await call('secrets:delete', { name });
      if (!r.deleted) throw new CliError(`no secret named ${name}`, EXIT.failed);
      io.out(`deleted keychain:${name}`);
    });

  // Approvals live in the running gateway: without one there is nothing to list or answer.
  /** For what exists only while a gateway serves (approvals waiting, provider connections). */
  const running = <M extends ControlMethod>(m: M, p: ControlParams<M>, why = 'approvals exist only while one runs'): Promise<ControlResult<M>> => {
    const lock = readLock(dataDir());
    if (!lock || !isAlive(lock.pid)) throw new CliError(`no gateway is running on ${dataDir()}: ${why} (gatehouse serve)`, EXIT.unreachable);
    return call(m, p);
  };
  const approvals = program.command('approvals').description('MCP tool calls waiting for a person');
  approvals
    .command('list')
    .description('list the calls waiting, with their full arguments')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const list = await running('approvals:list', {});
      if (f.json) return io.out(JSON.stringify(list, null, 2));
      if (list.length === 0) return io.out('no tool calls are waiting for approval');
      for (const a of list) {
        io.out(`${a.id}  ${a.server}/${a.tool}  key "${a.keyName}"${a.user ? ` (user ${a.user})` : ''}  until ${a.expiresAt}
  why: ${a.reason}
  arguments: ${JSON.stringify(a.arguments)}`);
      }
    });
  approvals
    .command('approve <id>')
    .description('let the call run (once, unless --session or --always)')
    .option('--session', 'also let this tool run without asking for the rest of the MCP session')
    .option('--always', 'let this tool run for this key without asking again (kept across restarts)')
    .option('--where <arg=glob>', 'with --always: only for calls whose argument matches the glob (repeatable), e.g. path=/home/me/project/*', (v: string, all: string[] = []) => [...all, v])
    .action(async (id: string, f: { session?: boolean; always?: boolean; where?: string[] }) => {
      if (f.session && f.always) throw new CliError('choose one of --session and --always', EXIT.usage);
      if (f.where && !f.always) throw new CliError('--where goes with --always', EXIT.usage);
      const where: Record<string, string> = {};
      for (const w of f.where ?? []) {
        const eq = w.indexOf('=');
        if (eq <= 0) throw new CliError(`--where "${w}": expected ARGUMENT=GLOB`, EXIT.usage);
        where[w.slice(0, eq)] = w.slice(eq + 1);
      }
      const a = await running('approvals:decide', { id, decision: f.always ? 'always' : f.session ? 'session' : 'once', ...(f.where ? { where } : {}) });
      io.out(`approved ${a.server}/${a.tool} for key "${a.keyName}"${f.always ? ' (always)' : f.session ? ' (for this session)' : ''}`);
    });
  approvals
    .command('deny <id>')
    .description('refuse the call (the agent gets a tool error)')
    .action(async (id: string) => {
      const a = await running('approvals:decide', { id, decision: 'deny' });
      io.out(`denied ${a.server}/${a.tool} for key "${a.keyName}"`);
    });

  const pinsCmd = program.command('pins').description('pinned MCP tool definitions, and the ones held back because they changed');
  pinsCmd
    .command('list')
    .description('list quarantined tools with the diff of what changed, and the pinned ones')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const r = await running('pins:list', {});
      if (f.json) return io.out(JSON.stringify(r, null, 2));
      if (r.quarantined.length === 0) io.out('no tools are quarantined');
      for (const q of r.quarantined) io.out(`QUARANTINED ${q.server}/${q.tool} (${q.reason}, ${q.detectedAt}): ${q.message}\n${q.diff ?? ''}`);
      if (r.pinned.length) io.out(table([['SERVER', 'TOOL', 'PINNED', 'BY', 'SERVER VERSION'], ...r.pinned.map((p) => [p.server, p.tool, p.pinnedAt, p.pinnedBy, p.serverVersion ?? '-'])]));
    });
  pinsCmd
    .command('accept <server> [tool]')
    .description("pin a quarantined tool's current definition (all of the server's quarantined tools without [tool])")
    .action(async (server: string, tool: string | undefined) => {
      const r = await running('pins:accept', { server, ...(tool ? { tool } : {}) });
      io.out(`accepted and pinned: ${r.accepted.map((t) => `${server}/${t}`).join(', ')}`);
    });

  const guard = program.command('guard').description('the configured guardrails');
  guard
    .command('check')
    .description('run the guardrails of the config on text from standard input and print the findings')
    .option('--json', 'print {"findings": [...], "action": ...} as JSON')
    .option('--jsonl', 'read one {"text": ...} per line and print one result per line')
    .option('--config <file>', 'the config whose guardrails to run (default: the data directory\'s)')
    .option('--profile <name>', 'run them as the guardrail profile NAME (guardrails.profiles) changes them')
    .option('--location <where>', 'where the text was found: llm.input, llm.output, tool.arguments, tool.result, tool.description (tool.result runs every detector; injection is looked for only in tool results and descriptions)', 'tool.result')
    .action(async (f: { json?: boolean; jsonl?: boolean; config?: string; profile?: string; location: string }) => {
      const locations = ['llm.input', 'llm.output', 'tool.arguments', 'tool.result', 'tool.description'];
      if (!locations.includes(f.location)) throw new CliError(`--location "${f.location}": expected one of ${locations.join(', ')}`, EXIT.usage);
      const path = resolve(f.config ?? io.env.GATEHOUSE_CONFIG ?? join(dataDir(), dataFiles.config));
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        text = 'version: 1\n'; // No config yet: the defaults.
      }
      const parsed = parseConfigText(text);
      if (!parsed.ok) throw new CliError(`${path}:\n${formatIssues(path, parsed.issues)}`, EXIT.failed);
      const [{ createGuardrails }, { guardCheck }] = await Promise.all([import('./policy/guardrails/pipeline.js'), import('./policy/guardrails/check.js')]);
      const all = createGuardrails(() => parsed.config.guardrails);
      if (f.profile && !parsed.config.guardrails.profiles[f.profile]) {
        throw new CliError(`--profile "${f.profile}": the config defines no such guardrail profile (${Object.keys(parsed.config.guardrails.profiles).join(', ') || 'it defines none'})`, EXIT.usage);
      }
      const guardrails = f.profile ? all.for({ profile: f.profile }) : all;
      const check = (input: string): GuardCheck => guardCheck(guardrails, input, f.location as GuardLocation);
      const stdin = await io.stdin();
      if (f.jsonl) {
        for (const [i, line] of stdin.split('\n').entries()) {
          if (line.trim() === '') continue;
          let item: unknown;
          try {
            item = JSON.parse(line);
          } catch {
            throw new CliError(`line ${i + 1}: not JSON; --jsonl expects one {"text": "..."} per line`, EXIT.usage);
          }
          const t = (item as { text?: unknown } | null)?.text;
          if (typeof t !== 'string') throw new CliError(`line ${i + 1}: expected {"text": "..."}`, EXIT.usage);
          io.out(JSON.stringify(check(t)));
        }
        return;
      }
      const result = check(stdin);
      if (f.json) return io.out(JSON.stringify(result, null, 2));
      if (result.findings.length === 0) return io.out('no findings');
      for (const x of result.findings) io.out(`${x.type} ${x.rule} score ${x.score.toFixed(2)} at ${x.start}-${x.end}: ${x.action}`);
      io.out(`action: ${result.action}`);
    });

  program
    .command('mcp-stdio')
    .description("a stdio MCP server relaying to the gateway's /mcp, for clients that can only launch stdio servers")
    .option('--url <url>', "the gateway (or its /mcp or /mcp/SERVER endpoint); default: the gateway running on --data-dir")
    .requiredOption('--key-env <VAR>', 'the environment variable holding the virtual key (gh_...)')
    .action(async (f: { url?: string; keyEnv: string }) => {
      let url = f.url;
      if (!url) {
        const lock = readLock(dataDir());
        if (!lock || !isAlive(lock.pid)) throw new CliError(`no gateway is running on ${dataDir()}: start one (gatehouse serve) or pass --url`, EXIT.unreachable);
        url = lock.url;
      }
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const { runStdioBridge } = await import('./mcp/stdio-bridge.js');
      const code = await runStdioBridge({ url, key: io.env[f.keyEnv] ?? '', keyEnv: f.keyEnv, signal: abort.signal });
      // Standard input may still be open (the client holds it): the bridge's end is the process's end.
      process.exit(code);
    });

  program
    .command('console')
    .description('print a new one-time login URL for the web console')
    .action(async () => io.out(`console: ${(await call('console:login-url', {})).url}`));

  program
    .command('providers')
    .description('the configured providers')
    .command('test <id>')
    .description("list the provider's models with its configured key: whether the key works, and how fast it answers")
    .option('--json', 'print JSON')
    .action(async (id: string, f: { json?: boolean }) => {
      const r = await running('providers:test', { provider: id }, 'providers are connected only while one runs');
      if (f.json) io.out(JSON.stringify(r, null, 2));
      else if (r.ok) io.out(`${id}: ok in ${Math.round(r.latencyMs)} ms, ${r.modelCount} models${r.models.length ? `: ${r.models.slice(0, 20).join(', ')}${r.modelCount > 20 ? ', …' : ''}` : ''}`);
      if (!r.ok) throw new CliError(`${id}: ${r.error?.message ?? 'failed'}${r.error?.status ? ` (HTTP ${r.error.status})` : ''}`, EXIT.failed);
    });

  program
    .command('admin')
    .description('the admin token')
    .command('rotate-token')
    .description('make a new admin token: the old one, every console session and unused login link stop working (this CLI reads the new one)')
    .action(async () => {
      const r = await call('admin:rotate-token', {});
      io.out(`admin token rotated at ${r.rotatedAt}; ${r.sessionsEnded} console session(s) and login link(s) ended — \`gatehouse console\` prints a new login link`);
    });

  program
    .command('status')
    .description('show the running gateway')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const s = await call('status:get', {});
      if (f.json) return io.out(JSON.stringify(s, null, 2));
      io.out(`${s.url ? `running at ${s.url} (pid ${s.pid})` : 'not running'}\nconfig: ${s.configPath}\ndata: ${s.dataDir}\nledger: ${s.ledger.events} events`);
      for (const p of s.providers) io.out(`provider ${p.id} (${p.type}): ${p.ready ? 'ready' : p.error}`);
    });

  program
    .command('report')
    .description('usage report from the ledger: requests, tokens and cost')
    .option('--from <when>', 'start: a UTC day YYYY-MM-DD or an ISO timestamp with a zone (default: the first request)')
    .option('--to <when>', 'end: a UTC day (included) or an ISO timestamp (excluded) (default: now)')
    .option('--group-by <what>', `one of ${USAGE_GROUP_BYS.join(', ')}`, reportGroupBy, 'key' as UsageGroupBy)
    .requiredOption('--format <format>', REPORT_FORMATS.join(', '), reportFormat)
    .option('--out <file>', 'write the report to FILE (mode 0600) instead of standard output (pdf: required when that is a terminal)')
    .action(async (f: { from?: string; to?: string; groupBy: UsageGroupBy; format: ReportFormat; out?: string }) => {
      // Checked here too, so a bad date fails before a gateway is reached or a data directory opened.
      try {
        usageRange(f, { from: '--from', to: '--to' });
      } catch (err) {
        if (err instanceof UsageParamsError) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      // A PDF is binary: to a pipe or a file it goes, never onto a terminal.
      if (f.format === 'pdf' && f.out === undefined && process.stdout.isTTY) throw new CliError('--format pdf: give --out FILE, or redirect standard output to a file or a pipe', EXIT.usage);
      const params = { groupBy: f.groupBy, ...(f.from !== undefined ? { from: f.from } : {}), ...(f.to !== undefined ? { to: f.to } : {}) };
      let body: string | Buffer;
      let rows: number;
      if (f.format === 'json' || f.format === 'csv') {
        const report = await call('report:usage', params);
        body = f.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : usageCsv(report, f.groupBy);
        rows = report.rows.length;
      } else {
        // The documents chart spend per day, model, key and tool whatever the grouping: one connection reads all five.
        const data = await withControl(dataDir(), (c) => gatherReport((p) => c.call('report:usage', p), params, () => new Date()));
        // pdfkit and its fonts are loaded only when a PDF is asked for: every other command starts faster.
        body = f.format === 'html' ? renderHtml(data) : await (await import('./report/pdf.js')).renderPdf(data);
        rows = data.report.rows.length;
      }
      if (f.out === undefined) return typeof body === 'string' ? io.write(body) : void process.stdout.write(body);
      const path = resolve(f.out);
      writeFileAtomically(path, body);
      io.out(`wrote ${path} (${rows} row${rows === 1 ? '' : 's'})`);
    });

  agentsCommand(program, { io, control: (fn) => withControl(dataDir(), fn), fail: (message, kind) => new CliError(message, EXIT[kind]) });
  auditCommand(program, { io, dataDir, control: (fn) => withControl(dataDir(), fn), fail: (message, kind) => new CliError(message, EXIT[kind]) });

  program
    .command('doctor')
    .description("replay each agent's calls against the running gateway: pass/fail per agent, with the fix for each failure")
    .option('--url <url>', 'the gateway (default: the one running for the data directory)')
    .option('--key <key>', 'the virtual key to test with (default: GATEHOUSE_KEY, else a temporary key revoked afterwards)')
    .option('--model <route>', 'the route to replay every agent on (default: per agent, a route to its own provider family)')
    .option('--agent <agent>', `only this agent, repeatable: ${DOCTOR_AGENTS.join(', ')}`, (v: string, all: DoctorAgent[] = []) => {
      if (!(DOCTOR_AGENTS as readonly string[]).includes(v)) throw new CliError(`--agent "${v}": expected one of ${DOCTOR_AGENTS.join(', ')}`, EXIT.usage);
      return [...all, v as DoctorAgent];
    })
    .option('--timeout <seconds>', 'per call', positiveInt('--timeout'), 60)
    .option('--json', 'print JSON')
    .action(async (f: { url?: string; key?: string; model?: string; agent?: DoctorAgent[]; timeout: number; json?: boolean }) => {
      const dir = dataDir();
      const lock = readLock(dir);
      const running = lock && isAlive(lock.pid) ? lock.url : undefined;
      const url = (f.url ?? running)?.replace(/\/+$/, '');
      if (!url) throw new CliError(`no gateway is running for ${dir}: start it with "gatehouse serve", or pass --url`, EXIT.unreachable);
      const agents = f.agent ?? [...DOCTOR_AGENTS];
      const models: Partial<Record<DoctorAgent, string>> = {};
      if (f.model) for (const a of agents) models[a] = f.model;
      else if (running) {
        const parsed = parseConfigText((await call('config:get', {})).text);
        if (parsed.ok) for (const a of agents) models[a] = routeForFamily(parsed.config, AGENT_FAMILY[a])?.route;
      } else throw new CliError('--model is needed with --url: the routes of a gateway that is not this data directory\'s are unknown', EXIT.usage);

      let key = f.key ?? io.env.GATEHOUSE_KEY;
      let temporary: string | undefined;
      if (!key) {
        if (!running) throw new CliError('pass --key (or set GATEHOUSE_KEY) to test a gateway at --url', EXIT.usage);
        const made = await call('keys:create', { name: `doctor-${new Date().toISOString().slice(0, 19)}`, expiresAt: new Date(Date.now() + 15 * 60_000).toISOString() });
        key = made.secret;
        temporary = made.key.id;
      }
      try {
        const { formatDoctorReport, runDoctor } = await import('./doctor/run.js');
        const results = await runDoctor({ url, key, agents, models, timeoutMs: f.timeout * 1000 });
        io.out(f.json ? JSON.stringify({ url, results }, null, 2) : `gatehouse doctor: ${url}${temporary ? ' (with a temporary key)' : ''}\n${formatDoctorReport(results)}`);
        if (results.some((r) => !r.ok)) throw new CliError('', EXIT.failed);
      } finally {
        if (temporary) await call('keys:revoke', { id: temporary });
      }
    });

  return program;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      if (err.message) io.err(`gatehouse: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof ControlError) {
      io.err(`gatehouse: ${err.message}`);
      return err.code === 'invalid_params' || err.code === 'unknown_method' ? EXIT.usage : err.code === 'unavailable' ? EXIT.unreachable : EXIT.failed;
    }
    const coded = err as Error & { code?: string; issues?: unknown };
    if (coded.code?.startsWith('SECRET_')) {
      io.err(`gatehouse: ${coded.message}`);
      return EXIT.unreachable;
    }
    io.err(`gatehouse: ${coded.message}`);
    return EXIT.failed;
  }
}

/** The process entry used by bin/gatehouse.js. */
export function runCli(argv: string[]): Promise<number> {
  return main(argv, {
    out: (s) => process.stdout.write(`${s}\n`),
    write: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(`${s}\n`),
    stdin: readStdin,
    env: process.env,
  });
}
