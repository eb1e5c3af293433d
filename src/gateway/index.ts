// The gateway's one public entry: createGateway(options, deps) builds the whole core and starts it.
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConfigIssue, ConfigSnapshot, GatewayStatus } from '../shared/contract.js';
import { ControlError } from '../shared/control-client.js';
import { editConfigFile } from './config/edit.js';
import { ConfigError, ensureConfigFile, formatIssues, hashConfigText, loadConfigFile, parseConfigText, type LoadedConfig } from './config/load.js';
import type { GatehouseConfig } from './config/schema.js';
import { resolveServerSettings, type ServerSettings } from './config/settings.js';
import { watchConfig } from './config/watch.js';
import { createControlService, type Actor, type ControlService } from './control/service.js';
import { makeGuard } from './http/guard.js';
import { AdminAuth } from './http/admin.js';
import { closeUpgraded, createHttpServer } from './http/server.js';
import { createMcpEndpoint, type McpEndpoint } from './mcp/downstream.js';
import { createUpstreams } from './mcp/upstreams.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { createApprovals } from './mcp/approvals.js';
import { createPins } from './mcp/pins.js';
import { sampleThroughGateway } from './mcp/sampling.js';
import { createInjectionClassifier, type InjectionClassifier } from './policy/guardrails/classifier.js';
import { injectionInspector } from './mcp/inspect.js';
import { createGuardrails } from './policy/guardrails/pipeline.js';
import { createVaults } from './policy/guardrails/vault.js';
import { getPin, upsertPin } from './store/pins.js';
import { approvalRulePatterns, insertApprovalRule } from './store/approvals.js';
import { createBudgets, GLOBAL_BUDGET, type Budgets } from './policy/budgets.js';
import { createRateLimiter } from './policy/limits.js';
import { postAlert } from './policy/alert-webhook.js';
import { allSpentSince, deleteReservation, insertReservation, keySpentSince, listReservations, ownerSpentSince, requestRecorded } from './store/budgets.js';
import { getTeam, getUser } from './store/users.js';
import type { LlmContext, LlmRequestEvent } from './http/llm.js';
import { budgetSubjects } from './http/admission.js';
import { createRouter } from './llm/router.js';
import { adminToken, ensureDataDir, releaseLock, rotateAdminToken, takeLock } from './instance.js';
import { createProvider } from './llm/providers/registry.js';
import type { ProviderRuntime } from './llm/providers/types.js';
import { createUpstreamModelCache } from './llm/upstream-models.js';
import { createLogger, type Logger } from './log.js';
import { dataFiles } from './paths.js';
import { AuthThrottle } from './policy/auth-throttle.js';
import { KeyIndex } from './policy/keys.js';
import { createKeychainStore } from './secrets/keychain.js';
import { createSecretResolver, type SecretResolver } from './secrets/resolver.js';
import type { SecretStore } from './secrets/store.js';
import { openDatabase, startCheckpointTimer, type Db } from './store/db.js';
import { listKeys } from './store/keys.js';
import { createLedger, type Ledger, type LedgerKey } from './store/ledger.js';
import { announcingToolCalls } from './control/traffic.js';
import { keychainLookup, loadLedgerKey } from './ledger-key.js';
import { budgetUsage } from './observability/budget-usage.js';
import { createObservability, type Observability } from './observability/observe.js';
import { VERSION } from './version.js';

export { VERSION };

export interface GatewayOptions {
  dataDir: string;
  /** Default: gatehouse.yaml in the data directory, created on first run. */
  configPath?: string;
  /** Command-line flags: they win over the environment and the file. */
  flags?: { host?: string; port?: number; logLevel?: string };
  env?: Record<string, string | undefined>;
  /** Where the numbered .sql migrations are (bundled builds pass theirs). */
  migrationsDir?: string;
  /** The built web console (out/renderer), served at `/` to a logged-in session. */
  consoleDir?: string;
  /**
   * Native addons built for another ABI than this Node's (the desktop app in development, where
   * node_modules stays built for Node so `npm test` works): better-sqlite3's `.node` file and a keytar package directory.
   */
  nativeModules?: { sqlite?: string; keytarDir?: string };
}

export interface GatewayDeps {
  /** The OS keychain. Default: keytar behind one queue with a timeout. */
  secretStore?: SecretStore;
  logger?: Logger;
  now?: () => Date;
}

export interface Gateway {
  /** Opens config and data directory without serving: for CLI commands when no gateway runs. */
  open(): Promise<void>;
  /** Opens, reads secrets, listens and takes the lock. Resolves with the address and a console login URL. */
  start(): Promise<{ url: string; consoleUrl: string }>;
  stop(): Promise<void>;
  readonly control: ControlService;
  call: ControlService['call'];
}

function secretRefsOf(config: GatehouseConfig, secrets: SecretResolver): string[] {
  const refs = new Set<string>();
  for (const p of config.providers) {
    if (p.apiKey) refs.add(p.apiKey);
    for (const v of Object.values(p.headers)) for (const r of secrets.refsIn(v)) refs.add(r);
  }
  for (const s of config.mcpServers) for (const v of Object.values(s.headers)) for (const r of secrets.refsIn(v)) refs.add(r);
  if (config.observability.metrics.token) refs.add(config.observability.metrics.token);
  for (const v of Object.values(config.observability.traces?.headers ?? {})) for (const r of secrets.refsIn(v)) refs.add(r);
  return [...refs];
}

/**
 * Reservations a crash left behind: a request whose record made it to the ledger needs nothing
 * more; any other may have been answered and billed, so it is charged in full (budget.reconciled).
 */
function reconcileReservations(db: Db, ledger: Ledger, log: Logger): void {
  for (const r of listReservations(db)) {
    if (!requestRecorded(db, r.requestId, r.at)) {
      ledger.appendNow({ type: 'budget.reconciled', requestId: r.requestId, keyId: r.keyId, costUsd: r.amountUsd, reservedAt: r.at });
      log.warn({ requestId: r.requestId, keyId: r.keyId, usd: r.amountUsd }, 'a budget reservation left by a crash was charged in full');
    }
    deleteReservation(db, r.requestId);
  }
}

export function createGateway(options: GatewayOptions, deps: GatewayDeps = {}): Gateway {
  const env = options.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const configPath = options.configPath ?? join(options.dataDir, dataFiles.config);
  const keytarDir = options.nativeModules?.keytarDir;
  const keychain = deps.secretStore ?? createKeychainStore({ keytarDir });
  // Ledger keys are filed under their own keychain service, apart from the provider secrets a person manages.
  const ledgerKeychain = deps.secretStore ?? createKeychainStore({ service: 'gatehouse-ledger', keytarDir });
  const secrets = createSecretResolver(keychain, env);
  const startedAt = now().toISOString();

  let log: Logger = deps.logger ?? createLogger({ level: 'info', scrub: (t) => secrets.redact(t) });
  let loaded: LoadedConfig;
  let appliedAt = startedAt;
  let lastError: ConfigSnapshot['lastError'] = null;
  let settings: ServerSettings;
  let db: Db | undefined;
  let ledger: Ledger;
  let keys: KeyIndex;
  let providers = new Map<string, ProviderRuntime>();
  let server: Server | undefined;
  let url = '';
  let guard: ReturnType<typeof makeGuard> = () => {
    throw new Error('not listening');
  };
  const adminAuth = { current: undefined as AdminAuth | undefined };
  const stops: (() => void | Promise<void>)[] = [];
  let opened = false;

  /** Metrics and traces of what the ledger records; made when the gateway starts, flushed when it stops. */
  let observability: Observability | undefined;
  /** The MCP servers of the config (started on first use) and the endpoint clients reach them through. */
  let mcp: McpEndpoint | undefined;
  const mcpUpstreams = createUpstreams({
    secrets,
    log: () => log,
    version: VERSION,
    events: {
      toolsChanged: (serverId) => mcp?.toolsChanged(serverId),
      notification: (serverId, n) => mcp?.notification(serverId, n),
      starting: (serverId, command) => {
        log.info({ mcpServer: serverId, command }, 'starting MCP server');
        ledger.append({ type: 'mcp.server.started', server: serverId, command }).catch((e: Error) => log.error({ err: e.message }, 'could not record an MCP server start'));
      },
    },
  });

  /** The guardrails of the config (read at each use: a reload applies at once), and each session's placeholders. */
  const guardrails = createGuardrails(() => loaded.config.guardrails);
  const vaults = createVaults();

  const upstreamModels = createUpstreamModelCache(() => [...providers.values()], () => log);
  /** Target health and session affinity outlive config reloads; targets no longer configured are pruned. */
  const router = createRouter();

  /** The file as it is on disk now (what an editor would start from), and what is running. */
  function snapshot(): ConfigSnapshot {
    let text = loaded.text;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'config file unreadable; showing the running config');
    }
    return { path: configPath, text, hash: hashConfigText(text), appliedHash: loaded.hash, appliedAt, lastError };
  }

  /** Builds providers for a config; secrets are read first so requests never wait on the keychain. */
  async function buildProviders(config: GatehouseConfig): Promise<Map<string, ProviderRuntime>> {
    await secrets.prime(secretRefsOf(config, secrets));
    const next = new Map<string, ProviderRuntime>();
    for (const p of config.providers) {
      const runtime = createProvider(p, secrets);
      if (runtime.unavailable) log.warn({ provider: p.id }, runtime.unavailable);
      next.set(p.id, runtime);
    }
    return next;
  }

  /** The hash being applied right now: the watcher must not apply the same file a second time. */
  let applyingHash: string | null = null;

  async function applyConfig(next: LoadedConfig): Promise<void> {
    // Read what runs now before waiting on secrets: `loaded` changes only when the new
    // providers are ready, so requests never see new routes with the old providers.
    const prevServer = loaded.config.server;
    applyingHash = next.hash;
    const nextProviders = server ? await buildProviders(next.config) : providers;
    if (applyingHash === next.hash) applyingHash = null;
    const old = providers;
    loaded = next;
    appliedAt = now().toISOString();
    lastError = null;
    if (server) {
      providers = nextProviders;
      upstreamModels.clear();
      router.prune(next.config);
      mcpUpstreams.configure(next.config.mcpServers);
      // In-flight requests keep their pool; it closes once they finish.
      for (const p of old.values()) void p.close();
      settings = resolveServerSettings(options.flags ?? {}, env, next.config.server);
      guard = makeGuard({ port: (server.address() as AddressInfo).port, allowedHosts: settings.allowedHosts, allowedOrigins: settings.allowedOrigins });
      if (prevServer.host !== next.config.server.host || prevServer.port !== next.config.server.port) {
        log.warn('server.host / server.port changed in the config: restart the gateway to listen on the new address');
      }
    }
    ledger.appendNow({ type: 'config.applied', hash: next.hash, path: configPath });
    control.emit('config:applied', { hash: next.hash, at: appliedAt });
  }

  function rejectConfig(issues: ConfigIssue[], hash: string): void {
    lastError = { at: now().toISOString(), issues };
    log.error(`config change refused; the previous config keeps running:\n${formatIssues(configPath, issues)}`);
    ledger.append({ type: 'config.rejected', hash, issues }).catch((e: Error) => log.error({ err: e.message }, 'could not record a config rejection'));
    control.emit('config:rejected', { at: lastError.at, issues });
  }

  function status(): GatewayStatus {
    const head = ledger.head();
    return {
      version: VERSION,
      url,
      pid: process.pid,
      startedAt,
      dataDir: options.dataDir,
      configPath,
      providers: loaded.config.providers.map((p) => {
        const rt = providers.get(p.id);
        return { id: p.id, type: p.type, ready: !!rt && !rt.unavailable, error: rt?.unavailable ?? (server ? null : 'not started') };
      }),
      targets: router.health().map((h) => ({ ...h, openUntil: h.openUntil === null ? null : new Date(h.openUntil).toISOString() })),
      ledger: { events: head?.seq ?? 0, headHash: head?.hash ?? null },
    };
  }

  /** The credential of the gateway's calls to itself on a key's behalf; it never leaves this process. */
  const internalToken = randomBytes(32).toString('base64url');

  /** MCP tool calls waiting for a person; "always" answers are kept in SQLite. */
  const approvals = createApprovals({
    now,
    rules: {
      patterns: (server, tool, keyId) => approvalRulePatterns(db!, server, tool, keyId),
      add: (server, tool, keyId, by, where) => {
        const createdAt = now().toISOString();
        insertApprovalRule(db!, { id: `rule_${randomUUID().replace(/-/g, '').slice(0, 16)}`, server, tool, keyId, arguments: where, createdAt, createdBy: by });
        ledger.appendNow({ type: 'admin.mcp.approval-rule.added', actor: by, server, tool, keyId, where });
      },
    },
    // Human oversight is part of the record: who was asked about what (never the arguments), and who decided.
    events: {
      requested: (p) => {
        control.emit('approval:requested', p);
        ledger
          .append({ type: 'approval.requested', approvalId: p.id, server: p.server, tool: p.tool, keyId: p.keyId, session: p.session, reason: p.reason, findings: p.findings, expiresAt: p.expiresAt })
          .catch((e: Error) => log.error({ err: e.message }, 'could not record an approval request'));
      },
      resolved: (r) => {
        control.emit('approval:resolved', r);
        ledger.append({ type: 'approval.resolved', approvalId: r.id, outcome: r.outcome, decision: r.decision, by: r.by }).catch((e: Error) => log.error({ err: e.message }, 'could not record an approval decision'));
      },
    },
  });

  /** MCP tool definitions pinned on first use; changed or flagged ones are held back until accepted. */
  const inspectDefinition = injectionInspector();
  const pins = createPins({
    now,
    // A definition with injected instructions is held back like a changed one (unless injection guarding is off).
    inspect: (serverId, tool) => (loaded.config.guardrails.injection === 'off' ? undefined : inspectDefinition(serverId, tool)),
    store: {
      get: (server, tool) => getPin(db!, server, tool),
      put: (server, tool, pin) => upsertPin(db!, { server, tool, ...pin }),
    },
    events: {
      changed: (server, tool, change) => {
        control.emit('pins:changed', { server, tool, change });
        if (change === 'quarantined') {
          log.warn({ mcpServer: server, tool }, 'MCP tool quarantined: its definition changed since it was pinned, or it was flagged');
          ledger.append({ type: 'mcp.tool.quarantined', server, tool }).catch((e: Error) => log.error({ err: e.message }, 'could not record a quarantined tool'));
        } else mcp?.toolsChanged(server);
      },
    },
  });

  let ledgerKey: LedgerKey | null = null;
  let unkeyedReason: string | undefined;
  let liveBudgets: Budgets | undefined;
  const control: ControlService = createControlService({
    approvals,
    budgets: { global: () => loaded.config.budgets, inFlight: () => liveBudgets?.inFlight() ?? new Map(), spent: (subject, window) => liveBudgets?.spent(subject, window) },
    providers: { config: (id) => loaded.config.providers.find((p) => p.id === id), runtime: (id) => (server ? providers.get(id) : undefined) },
    pins,
    audit: { key: () => ledgerKey, unkeyedReason: () => unkeyedReason, lookup: keychainLookup(ledgerKeychain) },
    guardProfiles: () => Object.keys(loaded.config.guardrails.profiles),
    get db() {
      return db!;
    },
    get ledger() {
      return ledger;
    },
    get keys() {
      return keys;
    },
    now,
    secrets: async () => keychain,
    onSecretChanged: async (name) => {
      secrets.invalidate(name);
      if (server) {
        const next = await buildProviders(loaded.config);
        const old = providers;
        providers = next;
        for (const p of old.values()) void p.close();
      }
    },
    config: {
      snapshot,
      validate: (text) => {
        const r = parseConfigText(text);
        return r.ok ? { ok: true, issues: [] } : { ok: false, issues: r.issues };
      },
      edit: async (baseHash, ops) => {
        let next: LoadedConfig;
        try {
          next = editConfigFile(configPath, baseHash, ops);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          const detail = err.issues.length ? `\n${formatIssues(configPath, err.issues)}` : '';
          throw new ControlError(err.code === 'CONFIG_CONFLICT' ? 'conflict' : 'invalid_params', `${err.message}${detail}`, err.issues);
        }
        // Resolves once the new config runs, so the caller's next request already sees it.
        await applyConfig(next);
        return snapshot();
      },
    },
    status,
    // The agents' files are the gateway user's own, found the way `gatehouse agents setup` finds them.
    agents: { home: homedir(), env, config: () => loaded.config },
    adminToken: {
      rotate: () => {
        const token = rotateAdminToken(options.dataDir);
        return { sessionsEnded: adminAuth.current?.rotate(token) ?? 0 };
      },
    },
    consoleLoginUrl: () => {
      if (!adminAuth.current || !url) throw new ControlError('unavailable', 'the console is only available while the gateway serves');
      const { token, expiresAt } = adminAuth.current.mintLogin();
      return { url: `${url}/?token=${token}`, expiresAt: new Date(expiresAt).toISOString() };
    },
  });

  async function open(): Promise<void> {
    if (opened) return;
    ensureDataDir(options.dataDir);
    if (!options.configPath) ensureConfigFile(configPath);
    loaded = loadConfigFile(configPath);
    settings = resolveServerSettings(options.flags ?? {}, env, loaded.config.server);
    if (!deps.logger) log = createLogger({ level: settings.logLevel, scrub: (t) => secrets.redact(t) });
    db = openDatabase(join(options.dataDir, dataFiles.database), {
      migrationsDir: options.migrationsDir,
      nativeBinding: options.nativeModules?.sqlite,
      onBackup: (p) => log.info({ backup: p }, 'database backed up before migrating'),
    });
    const loadedKey = await loadLedgerKey(db, ledgerKeychain, log);
    ledgerKey = loadedKey.key;
    unkeyedReason = loadedKey.reason;
    ledger = createLedger(db, { now, key: ledgerKey, ...(loadedKey.reason ? { unkeyedReason: loadedKey.reason } : {}) });
    const database = db;
    keys = new KeyIndex(() => listKeys(database));
    opened = true;
  }

  async function start(): Promise<{ url: string; consoleUrl: string }> {
    await open();
    const token = adminToken(options.dataDir);
    adminAuth.current = new AdminAuth(token);
    providers = await buildProviders(loaded.config);
    stops.push(startCheckpointTimer(db!, 10_000, (e) => log.error({ err: e.message }, 'WAL checkpoint failed'), options.nativeModules?.sqlite));

    const database = db!;
    reconcileReservations(database, ledger, log);
    const budgets = createBudgets(
      {
        spentSince: (subjectId, since) => {
          if (subjectId === GLOBAL_BUDGET) return allSpentSince(database, since);
          const [kind, id] = [subjectId.slice(0, subjectId.indexOf(':')), subjectId.slice(subjectId.indexOf(':') + 1)];
          if (kind === 'key') return keySpentSince(database, id, since);
          if (kind === 'user' || kind === 'team') return ownerSpentSince(database, kind, id, since);
          throw new Error(`unknown budget subject ${subjectId}`);
        },
        // Group-committed with the ledger's records: one transaction for everything written in a turn of the event loop.
        hold: (requestId, keyId, amountUsd) => {
          const at = now().toISOString();
          return ledger.stage(() => insertReservation(database, { requestId, keyId, amountUsd, at }));
        },
        forget: (requestId) => deleteReservation(database, requestId),
      },
      now,
      {
        thresholds: () => loaded.config.alerts.thresholds,
        fire: (alert) => {
          control.emit('budget:alert', alert);
          ledger.append({ type: 'budget.alert', ...alert }).catch((e: Error) => log.error({ err: e.message }, 'could not record a budget alert'));
          const hook = loaded.config.alerts.webhook;
          if (hook) void postAlert(hook, alert, secrets, log);
        },
      },
    );
    liveBudgets = budgets;
    // Observability: every event appended from here on (model calls, tool calls, findings, refusals)
    // is also counted for /metrics and, when observability.traces is set, traced.
    const observed = createObservability({
      version: VERSION,
      config: () => loaded.config,
      secrets,
      log: () => log,
      pendingApprovals: () => approvals.pending().length,
      budgets: (limit) => budgetUsage(database, loaded.config, now(), limit, (subject, window) => budgets.spent(subject, window)),
    });
    observability = observed;
    ledger = observed.tap(ledger);
    const llm: LlmContext = {
      budgets,
      guardrails,
      vaults,
      approvals,
      approvalTimeoutMs: () => loaded.config.approvals.timeoutSeconds * 1000,
      limits: createRateLimiter({ now: () => performance.now() }),
      owners: (key) => ({ user: key.userId ? getUser(database, key.userId) : undefined, team: key.teamId ? getTeam(database, key.teamId) : undefined }),
      config: () => loaded.config,
      provider: (id) => providers.get(id),
      router,
      ledger,
      log,
      scrub: (t) => secrets.redact(t),
      upstreamModels: () => upstreamModels.list(),
      onCompleted: (e: LlmRequestEvent) =>
        control.emit('request:completed', {
          requestId: e.requestId,
          keyId: e.keyId,
          model: e.model,
          provider: e.provider,
          status: e.status,
          outcome: e.outcome,
          latencyMs: e.latencyMs,
          costUsd: e.costUsd,
          inputTokens: e.usage.inputTokens + e.usage.cacheReadTokens + e.usage.cacheWriteTokens,
          outputTokens: e.usage.outputTokens,
        }),
    };
    mcpUpstreams.configure(loaded.config.mcpServers);
    // The model layer of injection detection: one classifier per key (its calls are that key's model
    // calls: routed, budgeted and recorded), rebuilt when the config's classifier settings change.
    const classifiers = new Map<string, InjectionClassifier>();
    let classifierSettings: GatehouseConfig['guardrails']['classifier'];
    const classifierFor = (keyId: string): InjectionClassifier | undefined => {
      const settings = loaded.config.guardrails.classifier;
      if (settings !== classifierSettings) {
        classifiers.clear();
        classifierSettings = settings;
      }
      if (!settings) return undefined;
      let c = classifiers.get(keyId);
      if (!c) {
        c = createInjectionClassifier({
          threshold: settings.threshold,
          timeoutMs: settings.timeoutSeconds * 1000,
          complete: async ({ system, user, maxTokens, signal }) => {
            const res = await fetch(`${url}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-gatehouse-internal': internalToken, 'x-gatehouse-internal-key': keyId, 'user-agent': `gatehouse-classifier/${VERSION}` },
              body: JSON.stringify({ model: settings.route, messages: [{ role: 'system', content: system }, { role: 'user', content: user }], max_tokens: maxTokens, temperature: 0 }),
              signal,
            });
            const json = (await res.json().catch(() => undefined)) as { choices?: { message?: { content?: string | null } }[]; error?: { message?: string } } | undefined;
            if (res.status >= 400) throw new Error(`the classifier route "${settings.route}" answered HTTP ${res.status}: ${json?.error?.message ?? 'no message'}`);
            return json?.choices?.[0]?.message?.content ?? '';
          },
        });
        classifiers.set(keyId, c);
        if (classifiers.size > 256) classifiers.delete(classifiers.keys().next().value!);
      }
      return c;
    };
    mcp = createMcpEndpoint({
      upstreams: mcpUpstreams,
      servers: () => loaded.config.mcpServers,
      toolsets: () => loaded.config.toolsets,
      owners: llm.owners,
      approvals,
      pins,
      guardrails,
      recordArguments: () => loaded.config.ledger.toolArguments,
      classify: (key, text, signal) => classifierFor(key.id)?.classify(text, signal),
      // A server's sampling request, answered on a route as a model call of the session's key.
      sample: (keyId, route, params, signal) =>
        sampleThroughGateway(
          async (id, body, abort) => {
            const res = await fetch(`${url}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-gatehouse-internal': internalToken, 'x-gatehouse-internal-key': id, 'user-agent': `gatehouse-mcp-sampling/${VERSION}` },
              body: JSON.stringify(body),
              signal: abort,
            });
            return { status: res.status, json: await res.json().catch(() => undefined) };
          },
          keyId,
          route,
          params,
          signal,
        ),
      reserveToolCall: (key, requestId, priceUsd) => {
        const subjects = budgetSubjects(key, llm.owners(key), loaded.config.budgets);
        if (subjects.length === 0) return undefined;
        const r = budgets.reserve({ requestId, keyId: key.id, subjects, inputUsd: priceUsd, outputUsdPerToken: 0, wantedOutputTokens: 0, minOutputTokens: 0 });
        return 'ok' in r ? { refused: r.message } : r;
      },
      approvalTimeoutMs: () => loaded.config.approvals.timeoutSeconds * 1000,
      // Each tool call it records is also announced live (the console's traffic list).
      ledger: announcingToolCalls(ledger, (e) => control.emit('tool:completed', e)),
      log: () => log,
      version: VERSION,
    });
    const consoleDir = options.consoleDir ?? (existsSync(new URL('../../renderer/index.html', import.meta.url)) ? new URL('../../renderer/', import.meta.url).pathname : undefined);
    server = createHttpServer({
      guard: () => guard,
      keys,
      keyThrottle: new AuthThrottle({ maxFailures: 20, windowMs: 60_000 }),
      adminThrottle: new AuthThrottle({ maxFailures: 10, windowMs: 60_000 }),
      adminAuth: adminAuth.current,
      control,
      llm,
      internalToken,
      mcp,
      ledger,
      log,
      now,
      version: VERSION,
      consoleDir,
      metrics: observed.metrics,
    });
    const srv = server;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(settings.port, settings.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const address = srv.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
    guard = makeGuard({ port: address.port, allowedHosts: settings.allowedHosts, allowedOrigins: settings.allowedOrigins });
    try {
      takeLock(options.dataDir, { pid: process.pid, url, startedAt, version: VERSION });
    } catch (err) {
      await new Promise<void>((r) => srv.close(() => r()));
      server = undefined;
      throw err;
    }
    const watcher = watchConfig(
      loaded,
      {
        // An edit made through config:edit is applied at once; the watcher then sees the same file.
        // When the file is back to what already runs, only the refusal notice is cleared.
        onApplied: (next) => {
          if (next.hash === applyingHash) return;
          if (next.hash === loaded.hash) lastError = null;
          else void applyConfig(next).catch((e: Error) => log.error({ err: e.message }, 'applying the new config failed'));
        },
        onRejected: rejectConfig,
        onError: (e) => log.error({ err: e.message }, 'config watcher error'),
      },
      {},
    );
    stops.push(() => watcher.close());
    ledger.appendNow({ type: 'gateway.started', version: VERSION, url, pid: process.pid, configHash: loaded.hash });
    const login = adminAuth.current.mintLogin();
    log.info({ url }, 'gatehouse listening');
    return { url, consoleUrl: `${url}/?token=${login.token}` };
  }

  async function stop(): Promise<void> {
    await Promise.all(stops.splice(0).map((s) => s()));
    if (server) {
      const srv = server;
      server = undefined;
      await new Promise<void>((r) => {
        srv.close(() => r());
        srv.closeAllConnections();
        closeUpgraded(srv);
      });
      releaseLock(options.dataDir);
    }
    await mcp?.close();
    mcp = undefined;
    await mcpUpstreams.close();
    // Closed once: a second stop() finds no providers and no database, and returns.
    const closing = [...providers.values()];
    providers = new Map();
    for (const p of closing) await p.close();
    await observability?.shutdown();
    observability = undefined;
    if (db) {
      ledger.flush();
      if (opened && url) ledger.appendNow({ type: 'gateway.stopped', url });
      db.close();
      db = undefined;
    }
    opened = false;
  }

  return {
    open,
    start,
    stop,
    control,
    call: (method, params, actor: Actor) => control.call(method, params, actor),
  };
}

