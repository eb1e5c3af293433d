// The control-plane service: the contract's methods, implemented once for the admin API, CLI and UI.
import { randomUUID } from 'node:crypto';
import type {
  BudgetSpec,
  BudgetWindow,
  ConfigEditOp,
  ConfigIssue,
  ConfigSnapshot,
  ControlEvent,
  ControlEventName,
  ControlEvents,
  ControlMethod,
  ControlMethods,
  ControlResult,
  GatewayStatus,
  PolicyFields,
  SecretInfo,
  UserUpdateParams,
} from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import { mintSecret, summarize, type KeyIndex } from '../policy/keys.js';
import type { SecretStore } from '../secrets/store.js';
import type { Db } from '../store/db.js';
import { getKey, insertKey, listKeys, revokeKey, setKeySecret, updateKey, type KeyRow } from '../store/keys.js';
import type { Ledger, LedgerEventInput } from '../store/ledger.js';
import {
  findTeam,
  findUser,
  insertTeam,
  insertUser,
  listTeams,
  listUsers,
  setTeamDisabled,
  setUserDisabled,
  teamKeyCounts,
  updateTeam,
  updateUser,
  userKeyCounts,
  type TeamRow,
  type UserChanges,
  type UserRow,
} from '../store/users.js';
import { usageReport, UsageParamsError } from '../store/usage.js';
import { ApprovalNotFound, type Approvals } from '../mcp/approvals.js';
import type { Pins } from '../mcp/pins.js';
import { listPins } from '../store/pins.js';
import { makeCheckpoint, pruneBefore, verifyChain, type KeyLookup } from '../store/audit.js';
import type { LedgerKey } from '../store/ledger.js';
import { budgetMeters, listLedger } from './readings.js';
import { testProvider, type ProviderProbe } from './provider-test.js';
import { exportReport } from './report-export.js';
import { listTraffic, trafficDetail } from './traffic.js';

/** Records younger than this are never pruned: budgets and this month's reports read them. */
export const PRUNE_MIN_AGE_DAYS = 31;
import { describeZodError, PARAMS } from './schemas.js';
import { createSightings, listAgents, setupAgent, type AgentsContext } from './agents.js';
import { rotateAdminToken, type AdminTokenAccess } from './admin-token.js';
import type { GatehouseConfig } from '../config/schema.js';

/** Who made an admin change; recorded in the ledger with it. */
export type Actor = 'cli' | 'admin-api' | 'console' | 'desktop' | 'local';

export interface ConfigAccess {
  snapshot(): ConfigSnapshot;
  validate(text: string): { ok: boolean; issues: ConfigIssue[] };
  /** Throws ControlError('conflict') when the file changed since `baseHash`, ('invalid_params') when the result is invalid. */
  edit(baseHash: string, ops: ConfigEditOp[]): Promise<ConfigSnapshot>;
}

export interface ControlDeps {
  db: Db;
  ledger: Ledger;
  keys: KeyIndex;
  now: () => Date;
  /** The OS keychain; its calls fail with a SecretError saying what is missing when there is none. */
  secrets: () => Promise<SecretStore>;
  /** Called after a secret changes so cached values are re-read. */
  onSecretChanged: (name: string) => Promise<void>;
  config: ConfigAccess;
  status: () => GatewayStatus;
  consoleLoginUrl: () => { url: string; expiresAt: string };
  /** MCP tool calls waiting for a person. */
  approvals: Pick<Approvals, 'pending' | 'decide'>;
  /** MCP tools held back until a person accepts their definition. */
  pins: Pick<Pins, 'quarantined' | 'accept'>;
  /** The ledger's key (null while the chain is unkeyed) and the keychain lookup of any ledger's key. */
  audit: { key(): LedgerKey | null; unkeyedReason(): string | undefined; lookup: KeyLookup };
  /** The guardrail profiles the running config defines (a key may name one). */
  guardProfiles?: () => string[];
  /** The config's global budgets and the USD requests in flight hold per subject; absent: none of either. */
  /** `spent`: the serving gateway's own count per subject and window (absent: the meters sum the ledger). */
  budgets?: { global(): readonly BudgetSpec[]; inFlight(): ReadonlyMap<string, number>; spent?(subjectId: string, window: BudgetWindow): number | undefined };
  /** Where coding agents keep their settings (the gateway user's home and environment) and the routes to point them at; absent: agents:* are unavailable. */
  agents?: { home: string; env: Record<string, string | undefined>; config(): Pick<GatehouseConfig, 'models' | 'providers'> };
  /** The admin token of the data directory; absent: admin:rotate-token is unavailable. */
  adminToken?: AdminTokenAccess;
  /** The running config's providers and the runtimes serving them, for providers:test; absent: no provider can be tested. */
  providers?: Pick<ProviderProbe, 'config' | 'runtime'>;
}

export interface ControlService {
  call<M extends ControlMethod>(method: M, params: unknown, actor: Actor): Promise<ControlResult<M>>;
  subscribe(listener: (e: ControlEvent) => void): () => void;
  emit<E extends ControlEventName>(event: E, data: ControlEvents[E]): void;
}

/** The store functions of users or teams: one shape, so both get the same control-plane behaviour. */
interface OwnerStore<R extends TeamRow> {
  kind: 'user' | 'team';
  find(db: Db, ref: string): R | undefined;
  list(db: Db): R[];
  insert(db: Db, row: R): void;
  /** Method syntax on purpose: teams take the user's changes minus `email`, which their params never carry. */
  update(db: Db, id: string, changes: UserChanges): void;
  setDisabled(db: Db, id: string, disabledAt: string | null): void;
  keyCounts(db: Db): Map<string, number>;
}

const USERS: OwnerStore<UserRow> = {
  kind: 'user',
  find: findUser,
  list: listUsers,
  insert: insertUser,
  update: updateUser,
  setDisabled: setUserDisabled,
  keyCounts: userKeyCounts,
};

const TEAMS: OwnerStore<TeamRow> = {
  kind: 'team',
  find: findTeam,
  list: listTeams,
  insert: insertTeam,
  update: updateTeam,
  setDisabled: setTeamDisabled,
  keyCounts: teamKeyCounts,
};

const mintId = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;

function policyOf(p: Partial<PolicyFields>): PolicyFields {
  return { models: p.models ?? [], mcpTools: p.mcpTools ?? [], budgets: p.budgets ?? [], rpm: p.rpm ?? null, tpm: p.tpm ?? null, maxConcurrency: p.maxConcurrency ?? null };
}

type Handlers = { [M in ControlMethod]: (params: ControlMethods[M]['params'], actor: Actor) => Promise<ControlResult<M>> | ControlResult<M> };

export function createControlService(deps: ControlDeps): ControlService {
  const listeners = new Set<(e: ControlEvent) => void>();
  const emit = <E extends ControlEventName>(event: E, data: ControlEvents[E]): void => {
    for (const l of listeners) l({ event, data } as ControlEvent);
  };

  /** A state change and its ledger event commit together, or neither does. */
  const recorded = <T>(event: LedgerEventInput, change: () => T): T => {
    try {
      return deps.db.transaction(() => {
        const out = change();
        deps.ledger.appendNow(event);
        return out;
      })();
    } catch (err) {
      deps.ledger.resync();
      throw err;
    }
  };

  const mustGet = (id: string): KeyRow => {
    const k = getKey(deps.db, id);
    if (!k) throw new ControlError('not_found', `no key with id "${id}"; list them with: gatehouse keys list`);
    return k;
  };

  /**
   * Create, list, update, disable and enable for users or teams. Records are never deleted (keys
   * and the ledger refer to them); disabling is the way to stop one.
   */
  const owners = <R extends TeamRow>(store: OwnerStore<R>) => {
    const { kind } = store;
    const plural = `${kind}s` as const;
    const summary = (row: R, counts = store.keyCounts(deps.db)) => ({
      ...row,
      status: row.disabledAt ? ('disabled' as const) : ('active' as const),
      keyCount: counts.get(row.id) ?? 0,
    });
    const mustFind = (ref: string): R => {
      const row = store.find(deps.db, ref);
      if (!row) throw new ControlError('not_found', `no ${kind} with id or name "${ref}"; list them with: gatehouse ${plural} list`);
      return row;
    };
    /** Names stand in for ids, so a name may be neither another record's name nor its id. */
    const checkName = (name: string, self?: string): void => {
      const other = store.find(deps.db, name);
      if (!other || other.id === self) return;
      throw new ControlError(
        'conflict',
        other.name === name ? `a ${kind} named "${name}" already exists (${other.id})` : `"${name}" is the id of ${kind} "${other.name}"; choose another name`,
      );
    };
    const changed = (id: string, change: 'created' | 'updated' | 'disabled' | 'enabled'): void => emit(`${plural}:changed`, { id, change });
    return {
      create(row: R, actor: Actor) {
        checkName(row.name);
        recorded({ type: `admin.${kind}.created`, actor, [kind]: row }, () => store.insert(deps.db, row));
        changed(row.id, 'created');
        return summary(row);
      },
      list() {
        const counts = store.keyCounts(deps.db);
        return store.list(deps.db).map((row) => summary(row, counts));
      },
      update(p: UserUpdateParams, actor: Actor) {
        const { id: ref, ...changes } = p;
        const { id } = mustFind(ref);
        if (changes.name !== undefined) checkName(changes.name, id);
        recorded({ type: `admin.${kind}.updated`, actor, [`${kind}Id`]: id, changes }, () => store.update(deps.db, id, changes));
        changed(id, 'updated');
        return summary(mustFind(id));
      },
      setDisabled(ref: string, disabled: boolean, actor: Actor) {
        const existing = mustFind(ref);
        if (Boolean(existing.disabledAt) !== disabled) {
          const verb = disabled ? 'disabled' : 'enabled';
          recorded({ type: `admin.${kind}.${verb}`, actor, [`${kind}Id`]: existing.id, name: existing.name }, () =>
            store.setDisabled(deps.db, existing.id, disabled ? deps.now().toISOString() : null),
          );
          changed(existing.id, verb);
        }
        return summary(mustFind(existing.id));
      },
    };
  };
  const users = owners(USERS);
  const teams = owners(TEAMS);

  /** A key's user and team may be given by id or name; they must exist, and the id is what is stored. */
  const keyOwners = <P extends { userId?: string | null; teamId?: string | null; guardrails?: string | null }>(p: P): P => {
    const out = { ...p };
    if (p.guardrails != null && deps.guardProfiles && !deps.guardProfiles().includes(p.guardrails)) {
      const known = deps.guardProfiles();
      throw new ControlError('invalid_params', `guardrails: the config defines no guardrail profile "${p.guardrails}"; ${known.length ? `expected one of ${known.join(', ')}` : 'add it under guardrails.profiles first'}`);
    }
    if (p.userId != null) {
      const user = findUser(deps.db, p.userId);
      if (!user) throw new ControlError('invalid_params', `userId: no user with id or name "${p.userId}"; see gatehouse users list, or create one with gatehouse users create --name NAME`);
      out.userId = user.id;
    }
    if (p.teamId != null) {
      const team = findTeam(deps.db, p.teamId);
      if (!team) throw new ControlError('invalid_params', `teamId: no team with id or name "${p.teamId}"; see gatehouse teams list, or create one with gatehouse teams create --name NAME`);
      out.teamId = team.id;
    }
    return out;
  };

  const sightings = createSightings();
  const agentsContext = (): AgentsContext => {
    if (!deps.agents) throw new ControlError('unavailable', 'agent setup is not available here');
    return {
      db: deps.db,
      ledger: deps.ledger,
      keys: deps.keys,
      now: deps.now,
      gatewayUrl: deps.status().url,
      config: deps.agents.config(),
      home: deps.agents.home,
      env: deps.agents.env,
      sightings,
      createKey: (params, actor) => handlers['keys:create'](params, actor),
    };
  };

  const handlers: Handlers = {
    'status:get': () => deps.status(),

    'keys:create': (params, actor) => {
      const p = keyOwners(params);
      const now = deps.now().toISOString();
      const { secret, prefix, hash } = mintSecret();
      const row: KeyRow = {
        id: `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
        name: p.name,
        prefix,
        secretHash: hash,
        userId: p.userId ?? null,
        teamId: p.teamId ?? null,
        models: p.models ?? [],
        mcpTools: p.mcpTools ?? [],
        budgets: p.budgets ?? [],
        rpm: p.rpm ?? null,
        tpm: p.tpm ?? null,
        maxConcurrency: p.maxConcurrency ?? null,
        defaultRoute: p.defaultRoute ?? null,
        mcpToolset: p.mcpToolset ?? null,
        guardrails: p.guardrails ?? null,
        expiresAt: p.expiresAt ?? null,
        createdAt: now,
        rotatedAt: null,
        revokedAt: null,
      };
      const { secretHash: _h, ...withoutSecret } = row;
      recorded({ type: 'admin.key.created', actor, key: withoutSecret }, () => insertKey(deps.db, row));
      deps.keys.reload();
      emit('keys:changed', { id: row.id, change: 'created' });
      return { key: summarize(row, deps.now()), secret };
    },

    'keys:list': (p) => {
      const now = deps.now();
      return listKeys(deps.db)
        .filter((k) => p.includeRevoked || !k.revokedAt)
        .map((k) => summarize(k, now));
    },

    'keys:update': (p, actor) => {
      mustGet(p.id);
      const { id, ...changes } = keyOwners(p);
      recorded({ type: 'admin.key.updated', actor, keyId: id, changes }, () => updateKey(deps.db, id, changes));
      deps.keys.reload();
      emit('keys:changed', { id, change: 'updated' });
      return summarize(mustGet(id), deps.now());
    },

    'keys:rotate': (p, actor) => {
      const existing = mustGet(p.id);
      if (existing.revokedAt) throw new ControlError('conflict', `key "${existing.name}" is revoked; create a new key instead`);
      const { secret, prefix, hash } = mintSecret();
      const at = deps.now().toISOString();
      recorded({ type: 'admin.key.rotated', actor, keyId: p.id, oldPrefix: existing.prefix, newPrefix: prefix }, () =>
        setKeySecret(deps.db, p.id, prefix, hash, at),
      );
      deps.keys.reload();
      emit('keys:changed', { id: p.id, change: 'rotated' });
      return { key: summarize(mustGet(p.id), deps.now()), secret };
    },

    'keys:revoke': (p, actor) => {
      const existing = mustGet(p.id);
      if (!existing.revokedAt) {
        recorded({ type: 'admin.key.revoked', actor, keyId: p.id, prefix: existing.prefix }, () => revokeKey(deps.db, p.id, deps.now().toISOString()));
        deps.keys.reload();
        emit('keys:changed', { id: p.id, change: 'revoked' });
      }
      return summarize(mustGet(p.id), deps.now());
    },

    'users:create': (p, actor) =>
      users.create({ id: mintId('usr'), name: p.name, email: p.email ?? null, ...policyOf(p), createdAt: deps.now().toISOString(), disabledAt: null }, actor),
    'users:list': () => users.list(),
    'users:update': (p, actor) => users.update(p, actor),
    'users:disable': (p, actor) => users.setDisabled(p.id, true, actor),
    'users:enable': (p, actor) => users.setDisabled(p.id, false, actor),

    'teams:create': (p, actor) => teams.create({ id: mintId('team'), name: p.name, ...policyOf(p), createdAt: deps.now().toISOString(), disabledAt: null }, actor),
    'teams:list': () => teams.list(),
    'teams:update': (p, actor) => teams.update(p, actor),
    'teams:disable': (p, actor) => teams.setDisabled(p.id, true, actor),
    'teams:enable': (p, actor) => teams.setDisabled(p.id, false, actor),

    'secrets:list': async () => {
      const store = await deps.secrets();
      return (await store.list()).map((name): SecretInfo => ({ name, backend: 'keychain' }));
    },

    'secrets:set': async (p, actor) => {
      const store = await deps.secrets();
      await store.set(p.name, p.value);
      // The ledger records that a secret changed, never its value.
      deps.ledger.appendNow({ type: 'admin.secret.set', actor, name: p.name });
      await deps.onSecretChanged(p.name);
      emit('secrets:changed', { name: p.name, change: 'set' });
      return { name: p.name, backend: 'keychain' };
    },

    'secrets:delete': async (p, actor) => {
      const store = await deps.secrets();
      const deleted = await store.delete(p.name);
      if (deleted) {
        deps.ledger.appendNow({ type: 'admin.secret.deleted', actor, name: p.name });
        await deps.onSecretChanged(p.name);
        emit('secrets:changed', { name: p.name, change: 'deleted' });
      }
      return { deleted };
    },

    'config:get': () => deps.config.snapshot(),
    'config:validate': (p) => deps.config.validate(p.text),
    'config:edit': async (p, actor) => {
      const before = deps.config.snapshot().hash;
      const snap = await deps.config.edit(p.baseHash, p.ops);
      deps.ledger.appendNow({ type: 'admin.config.edited', actor, before, after: snap.hash, paths: p.ops.map((o) => o.path.join('.')) });
      return snap;
    },

    'console:login-url': () => deps.consoleLoginUrl(),

    // A read: nothing changes, so nothing is recorded in the ledger.
    'report:usage': (p) => {
      try {
        return usageReport(deps.db, p, { now: deps.now });
      } catch (err) {
        if (err instanceof UsageParamsError) throw new ControlError('invalid_params', `report:usage: ${err.message}`);
        throw err;
      }
    },

    'pins:list': () => ({
      pinned: listPins(deps.db).map(({ definition: _d, ...p }) => p),
      quarantined: deps.pins.quarantined(),
    }),
    'pins:accept': (p, actor) => {
      const accepted = deps.pins.accept(p.server, p.tool, actor);
      if (accepted.length === 0) {
        throw new ControlError('not_found', `no quarantined tool ${p.tool ? `"${p.tool}" ` : ''}on MCP server "${p.server}"; list them with: gatehouse pins list`);
      }
      deps.ledger.appendNow({ type: 'admin.mcp.pin.accepted', actor, server: p.server, tools: accepted });
      return { accepted };
    },

    'audit:verify': async (p) => {
      deps.ledger.flush();
      // A large ledger is checked in slices, so a running gateway keeps serving meanwhile.
      return verifyChain(deps.db, deps.audit.lookup, { checkpoints: p.checkpoints ?? [], yieldEvery: 5_000 });
    },

    'audit:checkpoint': () => {
      const key = deps.audit.key();
      if (!key) throw new ControlError('conflict', `the ledger is not keyed right now (${deps.audit.unkeyedReason() ?? 'no key'}), so there is no key to sign a checkpoint with; restart the gateway once the keychain can be read`);
      deps.ledger.flush();
      return makeCheckpoint(deps.db, key, deps.now());
    },

    'audit:prune': (p, actor) => {
      const before = new Date(p.before);
      const limit = new Date(deps.now().getTime() - PRUNE_MIN_AGE_DAYS * 86_400_000);
      if (before > limit) {
        throw new ControlError('invalid_params', `before: records of the last ${PRUNE_MIN_AGE_DAYS} days are kept (monthly budgets and this month's reports read them); give a time before ${limit.toISOString()}`);
      }
      deps.ledger.flush();
      const out = pruneBefore(deps.db, deps.ledger, before.toISOString());
      if (out.deleted > 0) deps.ledger.appendNow({ type: 'admin.audit.pruned', actor, before: before.toISOString(), deleted: out.deleted, throughSeq: out.throughSeq });
      return out;
    },

    // Reads: nothing changes, so nothing is recorded. Queued ledger events are committed first so the figures include them.
    'audit:list': (p) => {
      deps.ledger.flush();
      return listLedger(deps.db, p);
    },
    // A read that calls out: the provider's listing, with the key the gateway runs with; nothing is recorded.
    'providers:test': (p) => {
      const providers = deps.providers;
      if (!providers) throw new ControlError('unavailable', 'this gateway has no providers to test');
      return testProvider(p.provider, { ...providers, secretNames: async () => (await deps.secrets()).list() }, deps.now);
    },
    'budgets:list': () => {
      deps.ledger.flush();
      const live = deps.budgets?.spent;
      return budgetMeters(deps.db, deps.budgets?.global() ?? [], deps.budgets?.inFlight() ?? new Map(), deps.now(), live && ((subject, window) => live(subject, window)));
    },
    // agents:list is a read; agents:setup records its writes (admin.agent.configured) and any key it creates.
    'agents:list': () => {
      deps.ledger.flush();
      return listAgents(agentsContext());
    },
    'agents:setup': (p, actor) => setupAgent(agentsContext(), p, actor),
    'admin:rotate-token': (_p, actor) => rotateAdminToken(deps, actor),
    'traffic:list': (p) => {
      deps.ledger.flush();
      return listTraffic(deps.db, p);
    },
    'traffic:get': (p) => {
      deps.ledger.flush();
      return trafficDetail(deps.db, p);
    },
    // Rendered by the CLI's own code from report:usage reads, so the download is what `gatehouse report` writes.
    'report:export': (p, actor) => exportReport(async (q) => handlers['report:usage'](q, actor), p, deps.now),

    'approvals:list': () => deps.approvals.pending(),
    'approvals:decide': (p, actor) => {
      try {
        return deps.approvals.decide(p.id, p.decision, actor, p.where);
      } catch (err) {
        if (err instanceof ApprovalNotFound) throw new ControlError('not_found', `${err.message}; list the pending ones with: gatehouse approvals list`);
        throw err;
      }
    },
  };

  return {
    async call(method, params, actor) {
      const handler = handlers[method] as ((p: unknown, a: Actor) => unknown) | undefined;
      const schema = PARAMS[method];
      if (!handler || !schema) throw new ControlError('unknown_method', `unknown control method "${String(method)}"`);
      const parsed = schema.safeParse(params ?? {});
      if (!parsed.success) throw new ControlError('invalid_params', `${method}: ${describeZodError(parsed.error)}`);
      return (await handler(parsed.data, actor)) as never;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit,
  };
}
