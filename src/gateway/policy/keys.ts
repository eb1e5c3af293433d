// Virtual keys: minting secrets, finding the key a request presents, and checking it in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { KeySummary } from '../../shared/contract.js';
import type { KeyRow } from '../store/keys.js';

/** Every virtual key starts with this, so a leaked one is recognisable (and scanners can find it). */
export const KEY_PREFIX = 'gh_';
const SHOWN_CHARS = KEY_PREFIX.length + 8;

/** 256 random bits, base64url: shown once, never stored. */
export function mintSecret(): { secret: string; prefix: string; hash: Buffer } {
  const secret = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { secret, prefix: secret.slice(0, SHOWN_CHARS), hash: hashSecret(secret) };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function keyStatus(k: Pick<KeyRow, 'revokedAt' | 'expiresAt'>, now: Date): KeySummary['status'] {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && Date.parse(k.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

export function summarize(k: KeyRow, now: Date): KeySummary {
  const { secretHash: _hidden, ...rest } = k;
  return { ...rest, status: keyStatus(k, now) };
}

export type KeySource = 'x-gatehouse-key' | 'authorization' | 'x-api-key' | 'x-goog-api-key' | 'query';

export interface PresentedKey {
  secret: string;
  source: KeySource;
  /**
   * True when the key came in `x-gatehouse-key`: then `Authorization`/`x-api-key` are the
   * caller's own upstream credentials (a subscription sign-in) and are passed through.
   */
  callerCredentialsPassThrough: boolean;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() ? s.trim() : undefined;
}

/** The lookup order of the contract: x-gatehouse-key, Bearer, x-api-key, x-goog-api-key, ?key= on /v1beta only. */
export function presentedKey(headers: IncomingHttpHeaders, url: URL): PresentedKey | null {
  const own = header(headers, 'x-gatehouse-key');
  if (own) return { secret: own, source: 'x-gatehouse-key', callerCredentialsPassThrough: true };
  const auth = header(headers, 'authorization');
  const bearer = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return { secret: bearer, source: 'authorization', callerCredentialsPassThrough: false };
  const apiKey = header(headers, 'x-api-key');
  if (apiKey) return { secret: apiKey, source: 'x-api-key', callerCredentialsPassThrough: false };
  const goog = header(headers, 'x-goog-api-key');
  if (goog) return { secret: goog, source: 'x-goog-api-key', callerCredentialsPassThrough: false };
  if (url.pathname.startsWith('/v1beta/')) {
    const q = url.searchParams.get('key');
    if (q) return { secret: q, source: 'query', callerCredentialsPassThrough: false };
  }
  return null;
}

export type AuthResult =
  | { ok: true; key: KeyRow }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired'; prefix: string | null };

/**
 * An in-memory index of key hashes, rebuilt from the database whenever a key changes, so a
 * revocation takes effect on the next request and the hot path never queries SQLite.
 */
export class KeyIndex {
  private byHash = new Map<string, KeyRow>();

  constructor(private readonly load: () => KeyRow[]) {
    this.reload();
  }

  private byId = new Map<string, KeyRow>();

  reload(): void {
    const next = new Map<string, KeyRow>();
    const ids = new Map<string, KeyRow>();
    for (const k of this.load()) {
      next.set(k.secretHash.toString('hex'), k);
      ids.set(k.id, k);
    }
    this.byHash = next;
    this.byId = ids;
  }

  /**
   * A key by id, for a call the gateway makes on a key's behalf (an MCP server's sampling request
   * answered from a route): the same validity checks as a presented secret.
   */
  onBehalfOf(id: string, now: Date): AuthResult {
    const found = this.byId.get(id);
    if (!found) return { ok: false, reason: 'unknown', prefix: null };
    const status = keyStatus(found, now);
    if (status !== 'active') return { ok: false, reason: status, prefix: found.prefix };
    return { ok: true, key: found };
  }

  authenticate(secret: string, now: Date): AuthResult {
    const presentedHash = hashSecret(secret);
    const found = this.byHash.get(presentedHash.toString('hex'));
    // The map lookup is by a hash of a 256-bit secret, which leaks nothing useful; the final
    // comparison is constant-time anyway, so no code path compares secret bytes early-exit.
    if (!found || !timingSafeEqual(found.secretHash, presentedHash)) {
      return { ok: false, reason: 'unknown', prefix: secret.startsWith(KEY_PREFIX) ? secret.slice(0, SHOWN_CHARS) : null };
    }
    const status = keyStatus(found, now);
    if (status !== 'active') return { ok: false, reason: status, prefix: found.prefix };
    return { ok: true, key: found };
  }
}

/** Glob over model/route names: `*` matches any run of characters, everything else is literal. */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

export function modelGranted(key: Pick<KeyRow, 'models'>, names: string[]): boolean {
  if (key.models.length === 0) return true;
  return names.some((n) => key.models.some((g) => globMatch(g, n)));
}
