// The control-plane service: the contract's methods, implemented once for the admin API, CLI and UI.
import { randomUUID } from 'node:crypto';
import type {
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
  SecretInfo,
} from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import { mintSecret, summarize, type KeyIndex } from '../policy/keys.js';
import type { SecretStore } from '../secrets/store.js';
import type { Db } from '../store/db.js';
import { getKey, insertKey, listKeys, revokeKey, setKeySecret, updateKey, type KeyRow } from '../store/keys.js';
import type { Ledger, LedgerEventInput } from '../store/ledger.js';
import { usageReport, UsageParamsError } from '../store/usage.js';
import { describeZodError, PARAMS } from './schemas.js';

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
}

export interface ControlService {
  call<M extends ControlMethod>(method: M, params: unknown, actor: Actor): Promise<ControlResult<M>>;
  subscribe(listener: (e: ControlEvent) => void): () => void;
  emit<E extends ControlEventName>(event: E, data: ControlEvents[E]): void;
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

  const handlers: Handlers = {
    'status:get': () => deps.status(),

    'keys:create': (p, actor) => {
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
      const { id, ...changes } = p;
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
        return usageReport(deps.db, p);
      } catch (err) {
        if (err instanceof UsageParamsError) throw new ControlError('invalid_params', `report:usage: ${err.message}`);
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
