// The control plane over HTTP: /admin/api (admin token or console session), its event stream, and console login.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { CONTROL_METHODS, type ControlErrorBody, type ControlErrorCode, type ControlMethod } from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import type { ControlService } from '../control/service.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { readJson, sendJson } from './io.js';
import { sseFrame, sseKeepAlive, startSse } from './sse.js';

const SESSION_COOKIE = 'gatehouse_session';
const LOGIN_TTL_MS = 10 * 60_000;
const SESSION_TTL_MS = 12 * 3600_000;

const CONTROL_STATUS: Record<ControlErrorCode, number> = {
  invalid_params: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  unavailable: 503,
  internal: 500,
};

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Admin authentication. The admin token (≥128 bits, in a user-only file) is for the CLI; the
 * web console gets a one-time login URL that trades for an HttpOnly, SameSite=Strict cookie,
 * so the token never sits in browser history or page script.
 */
export class AdminAuth {
  private tokenDigest: Buffer;
  private readonly logins = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  constructor(
    adminToken: string,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenDigest = digest(adminToken);
  }

  /**
   * Accepts only `adminToken` from now on, and ends every console session and unused login link
   * (they were granted under the old token). Returns how many ended.
   */
  rotate(adminToken: string): number {
    this.tokenDigest = digest(adminToken);
    const now = this.now();
    const ended = [...this.sessions.values(), ...this.logins.values()].filter((expiresAt) => expiresAt >= now).length;
    this.sessions.clear();
    this.logins.clear();
    return ended;
  }

  /** A fresh single-use login token, valid for ten minutes. */
  mintLogin(): { token: string; expiresAt: number } {
    const token = randomBytes(24).toString('base64url');
    const expiresAt = this.now() + LOGIN_TTL_MS;
    this.logins.set(token, expiresAt);
    return { token, expiresAt };
  }

  /** Consumes a login token; returns a new session id, or null if it was unknown, used or expired. */
  redeemLogin(token: string): string | null {
    const expiresAt = this.logins.get(token);
    this.logins.delete(token);
    if (!expiresAt || expiresAt < this.now()) return null;
    const session = randomBytes(32).toString('base64url');
    this.sessions.set(session, this.now() + SESSION_TTL_MS);
    return session;
  }

  hasSession(req: IncomingMessage): boolean {
    const s = cookie(req, SESSION_COOKIE);
    if (!s) return false;
    const exp = this.sessions.get(s);
    if (!exp || exp < this.now()) {
      this.sessions.delete(s);
      return false;
    }
    return true;
  }

  /** 'token' for the CLI's bearer token, 'session' for the console cookie, null for neither. */
  check(req: IncomingMessage): 'token' | 'session' | null {
    const bearer = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) return timingSafeEqual(digest(bearer), this.tokenDigest) ? 'token' : null;
    return this.hasSession(req) ? 'session' : null;
  }

  sessionCookie(session: string): string {
    return `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
  }
}

export function controlErrorResponse(res: ServerResponse, err: ControlError): void {
  const body: ControlErrorBody = { error: { code: err.code, message: err.message, details: err.details } };
  sendJson(res, CONTROL_STATUS[err.code], body);
}

const METHOD_BY_PATH = new Map<string, ControlMethod>(CONTROL_METHODS.map((m) => [`/admin/api/${m.replace(':', '/')}`, m]));

export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  control: ControlService,
  via: 'token' | 'session',
  log: Logger,
): Promise<void> {
  if (url.pathname === '/admin/api/events') {
    if (req.method !== 'GET') throw new GatewayError('METHOD_NOT_ALLOWED', 'use GET for /admin/api/events');
    startSse(res);
    const stopKeepAlive = sseKeepAlive(res);
    const unsubscribe = control.subscribe((e) => res.write(sseFrame(JSON.stringify(e.data), e.event)));
    res.on('close', () => {
      unsubscribe();
      stopKeepAlive();
    });
    return;
  }
  const method = METHOD_BY_PATH.get(url.pathname);
  if (!method) {
    controlErrorResponse(res, new ControlError('unknown_method', `no control method at ${url.pathname}`));
    return;
  }
  if (req.method !== 'POST') throw new GatewayError('METHOD_NOT_ALLOWED', `use POST for ${url.pathname}`);
  const { json } = await readJson(req, 8 * 1024 * 1024);
  try {
    const result = await control.call(method, json, via === 'token' ? 'admin-api' : 'console');
    sendJson(res, 200, result);
  } catch (err) {
    if (err instanceof ControlError) return controlErrorResponse(res, err);
    const coded = err as Error & { code?: string };
    // Errors from the config, secrets and store layers carry stable codes; map the ones a
    // caller can act on, keep the rest internal.
    const mapped: ControlErrorCode | undefined =
      coded.code === 'CONFIG_CONFLICT' ? 'conflict' : coded.code === 'CONFIG_INVALID' ? 'invalid_params' : coded.code?.startsWith('SECRET_') ? 'unavailable' : undefined;
    if (mapped) return controlErrorResponse(res, new ControlError(mapped, coded.message, (err as { issues?: unknown }).issues));
    log.error({ err, method }, 'control method failed');
    controlErrorResponse(res, new ControlError('internal', `${method} failed; the details are in the gateway's log`));
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font:14px system-ui;margin:3rem;max-width:40rem"><h1 style="font-size:18px">${title}</h1><p>${text}</p>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONSOLE_CSP, 'cache-control': 'no-store' });
  res.end(body);
}

/** The web console: `/?token=` login, then the built UI (if built) for a logged-in session. */
export function handleConsole(req: IncomingMessage, res: ServerResponse, url: URL, auth: AdminAuth, consoleDir: string | undefined): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new GatewayError('METHOD_NOT_ALLOWED', 'the console only answers GET');
  const token = url.searchParams.get('token');
  if (url.pathname === '/' && token) {
    const session = auth.redeemLogin(token);
    if (!session) {
      page(res, 401, 'This login link has expired', 'Each console link works once, for ten minutes. Run <code>gatehouse console</code> for a new one.');
      return;
    }
    // The token leaves the address bar at once; the cookie is invisible to page script.
    res.writeHead(303, { location: '/', 'set-cookie': auth.sessionCookie(session), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end();
    return;
  }
  const isAsset = url.pathname.startsWith('/assets/');
  if (!isAsset && !auth.hasSession(req)) {
    page(res, 401, 'Gatehouse console', 'Open the console link printed by <code>gatehouse serve</code>, or run <code>gatehouse console</code> for a new one.');
    return;
  }
  const rel = url.pathname === '/' ? 'index.html' : normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
  const root = consoleDir ? normalize(consoleDir + sep) : undefined;
  const file = root ? join(root, rel) : undefined;
  if (!root || !file || !file.startsWith(root) || !existsSync(file)) {
    if (url.pathname === '/') {
      page(res, 200, 'Gatehouse console', 'You are signed in. The console UI has not been built in this checkout: run <code>npm run build</code>. The admin API is at <code>/admin/api</code>.');
      return;
    }
    throw new GatewayError('NOT_FOUND', `no console file at ${url.pathname}`);
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
}
