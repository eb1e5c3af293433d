// Settings: the gateway's own (status), the config's server, approvals, guardrail and alert settings
// written back through config:edit, the admin token's rotation, and the desktop app's start at login.
import { parse } from 'yaml';
import { createStore } from 'zustand/vanilla';
import type { AdminTokenRotated, ConfigEditOp, ConfigSnapshot, ControlEvent, GatewayStatus } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';
import { editFailure } from './config';

export const GUARD_ACTIONS = ['off', 'warn', 'block', 'mask', 'mask-and-restore', 'ask'] as const;
export type GuardAction = (typeof GUARD_ACTIONS)[number];
export const GUARD_KINDS = ['secrets', 'cards', 'pii', 'injection'] as const;
export type GuardKind = (typeof GUARD_KINDS)[number];
export const OUTPUT_MODES = ['record', 'enforce'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

/** The settings as the file has them, with the config schema's defaults where it leaves one out. */
export interface SettingsView {
  host: string;
  port: number;
  allowedOrigins: string[];
  approvalsTimeoutSeconds: number;
  guardrails: Record<GuardKind, GuardAction> & { output: OutputMode };
  thresholds: number[];
}

export const DEFAULT_SETTINGS: SettingsView = {
  host: '127.0.0.1',
  port: 4141,
  allowedOrigins: [],
  approvalsTimeoutSeconds: 50,
  guardrails: { secrets: 'mask-and-restore', cards: 'mask-and-restore', pii: 'warn', injection: 'warn', output: 'record' },
  thresholds: [50, 80, 100],
};

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const oneOf = <T extends string>(options: readonly T[], v: unknown, fallback: T): T => (options.includes(v as T) ? (v as T) : fallback);

/** Reads the settings the view edits; a file that does not parse reads as the defaults (the gateway reports why). */
export function readSettings(text: string): SettingsView {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = {};
  }
  const root = obj(doc);
  const server = obj(root.server);
  const guard = obj(root.guardrails);
  const d = DEFAULT_SETTINGS;
  const thresholds = obj(root.alerts).thresholds;
  return {
    host: typeof server.host === 'string' ? server.host : d.host,
    port: Number.isInteger(server.port) ? (server.port as number) : d.port,
    allowedOrigins: Array.isArray(server.allowedOrigins) ? server.allowedOrigins.map(String) : d.allowedOrigins,
    approvalsTimeoutSeconds: Number.isInteger(obj(root.approvals).timeoutSeconds) ? (obj(root.approvals).timeoutSeconds as number) : d.approvalsTimeoutSeconds,
    guardrails: {
      secrets: oneOf(GUARD_ACTIONS, guard.secrets, d.guardrails.secrets),
      cards: oneOf(GUARD_ACTIONS, guard.cards, d.guardrails.cards),
      pii: oneOf(GUARD_ACTIONS, guard.pii, d.guardrails.pii),
      injection: oneOf(GUARD_ACTIONS, guard.injection, d.guardrails.injection),
      output: oneOf(OUTPUT_MODES, guard.output, d.guardrails.output),
    },
    thresholds: Array.isArray(thresholds) && thresholds.every((t) => typeof t === 'number') ? (thresholds as number[]) : d.thresholds,
  };
}

/** A field the form changes: its path in the config and its new value. */
export interface SettingChange {
  path: string[];
  value: unknown;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Only what differs from the file becomes an edit, so a save never writes defaults the file left out. */
export function editsFor(current: SettingsView, next: Partial<SettingsView>): ConfigEditOp[] {
  const ops: ConfigEditOp[] = [];
  const put = (path: string[], before: unknown, after: unknown): void => {
    if (after !== undefined && !same(before, after)) ops.push({ op: 'set', path, value: after });
  };
  put(['server', 'host'], current.host, next.host);
  put(['server', 'port'], current.port, next.port);
  put(['server', 'allowedOrigins'], current.allowedOrigins, next.allowedOrigins);
  put(['approvals', 'timeoutSeconds'], current.approvalsTimeoutSeconds, next.approvalsTimeoutSeconds);
  if (next.guardrails) for (const k of [...GUARD_KINDS, 'output'] as const) put(['guardrails', k], current.guardrails[k], next.guardrails[k]);
  put(['alerts', 'thresholds'], current.thresholds, next.thresholds);
  return ops;
}

/** Settings the running gateway reads only when it starts. */
export const needsRestart = (ops: ConfigEditOp[]): boolean => ops.some((o) => o.path[0] === 'server' && (o.path[1] === 'host' || o.path[1] === 'port'));

/** `50, 80, 100` -> [50, 80, 100]; null when any part is not a percent the config accepts (over 0, at most 1000). */
export function parseThresholds(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const nums = parts.map(Number);
  return parts.length > 0 && nums.every((n) => Number.isFinite(n) && n > 0 && n <= 1000) ? nums : null;
}

/** One origin per line (or comma-separated); null naming the first that is not an http(s) origin. */
export function parseOrigins(text: string): { origins: string[] } | { bad: string } {
  const origins = text.split(/[\s,]+/).filter(Boolean);
  for (const o of origins) {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) return { bad: o };
  }
  return { origins };
}

/** The desktop app's own settings, from the preload bridge; absent in the web console. */
export interface DesktopApp {
  loginItem: { get(): Promise<boolean>; set(open: boolean): Promise<boolean> };
}

export function desktopApp(): DesktopApp | undefined {
  return (globalThis as { gatehouse?: { app?: DesktopApp } }).gatehouse?.app;
}

export interface SettingsState {
  status: GatewayStatus | null;
  snapshot: ConfigSnapshot | null;
  view: SettingsView;
  loaded: boolean;
  error: string | null;
  notice: string | null;
  /** A saved change (server.host / server.port) the running gateway applies only after a restart. */
  restartNeeded: boolean;
  saving: boolean;
  rotating: boolean;
  /** null while unknown; `available: false` in the web console. */
  loginItem: { available: boolean; enabled: boolean | null; error: string | null };
  refresh(): Promise<void>;
  save(section: string, next: Partial<SettingsView>): Promise<boolean>;
  rotateToken(): Promise<AdminTokenRotated | null>;
  setLoginItem(open: boolean): Promise<void>;
  onEvent(e: ControlEvent): void;
}

export function createSettingsStore(client: ControlClient, app: DesktopApp | undefined = desktopApp()) {
  return createStore<SettingsState>()((set, get) => ({
    status: null,
    snapshot: null,
    view: DEFAULT_SETTINGS,
    loaded: false,
    error: null,
    notice: null,
    restartNeeded: false,
    saving: false,
    rotating: false,
    loginItem: { available: app !== undefined, enabled: null, error: null },
    async refresh() {
      try {
        const [status, snapshot] = await Promise.all([client.call('status:get', {}), client.call('config:get', {})]);
        set({ status, snapshot, view: readSettings(snapshot.text), loaded: true, error: null });
      } catch (e) {
        set({ error: `Could not read the settings: ${(e as Error).message}`, loaded: true });
      }
      if (app) {
        try {
          const enabled = await app.loginItem.get();
          set({ loginItem: { available: true, enabled, error: null } });
        } catch (e) {
          set({ loginItem: { available: true, enabled: null, error: (e as Error).message } });
        }
      }
    },
    async save(section, next) {
      const snapshot = get().snapshot;
      if (!snapshot) return false;
      const ops = editsFor(get().view, next);
      if (ops.length === 0) {
        set({ notice: `${section}: nothing changed.`, error: null });
        return true;
      }
      set({ saving: true, error: null, notice: null });
      try {
        const after = await client.call('config:edit', { baseHash: snapshot.hash, ops });
        const restart = needsRestart(ops);
        set((s) => ({
          snapshot: after,
          view: readSettings(after.text),
          restartNeeded: s.restartNeeded || restart,
          notice: `${section} saved to ${after.path}.${restart ? '' : ' The gateway applies it now.'}`,
        }));
        return true;
      } catch (e) {
        set({ error: await editFailure(e, () => get().refresh(), `${section} not saved`) });
        return false;
      } finally {
        set({ saving: false });
      }
    },
    async rotateToken() {
      set({ rotating: true, error: null, notice: null });
      try {
        const out = await client.call('admin:rotate-token', {});
        set({ notice: `Admin token rotated. ${out.sessionsEnded === 1 ? '1 console session or login link was' : `${out.sessionsEnded} console sessions and login links were`} ended; the CLI reads the new token from the data directory.` });
        return out;
      } catch (e) {
        set({ error: `The admin token was not rotated: ${(e as Error).message}` });
        return null;
      } finally {
        set({ rotating: false });
      }
    },
    async setLoginItem(open) {
      if (!app) return;
      try {
        const enabled = await app.loginItem.set(open);
        set({ loginItem: { available: true, enabled, error: null } });
      } catch (e) {
        set((s) => ({ loginItem: { ...s.loginItem, error: (e as Error).message } }));
      }
    },
    onEvent(e) {
      if (e.event === 'config:applied' && get().loaded && e.data.hash !== get().snapshot?.hash) void get().refresh();
    },
  }));
}

export type SettingsStore = ReturnType<typeof createSettingsStore>;
