// admin:rotate-token: a new admin token in the data directory; the old one, every console session and every unused login link stop working.
import type { AdminTokenRotated } from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import type { Ledger } from '../store/ledger.js';
import type { Actor } from './service.js';

export interface AdminTokenAccess {
  /**
   * Writes a new token to the data directory (the CLI reads it from there, so it keeps working) and
   * makes the running admin API accept only it. Returns the console sessions and login links ended.
   */
  rotate(): { sessionsEnded: number };
}

/**
 * The console session that asked is ended like the others (sessions are not told apart inside the
 * control plane), so it is handed a fresh one-time login link, minted under the new token, to sign
 * in again at once. Nobody else gets one: other sessions have to run `gatehouse console`.
 */
export function rotateAdminToken(
  deps: { adminToken?: AdminTokenAccess; ledger: Ledger; now: () => Date; consoleLoginUrl: () => { url: string } },
  actor: Actor,
): AdminTokenRotated {
  if (!deps.adminToken) throw new ControlError('unavailable', 'this gateway has no admin token to rotate');
  const { sessionsEnded } = deps.adminToken.rotate();
  const rotatedAt = deps.now().toISOString();
  // Recorded without the token, of course: only that it changed and who changed it.
  deps.ledger.appendNow({ type: 'admin.token.rotated', actor, sessionsEnded });
  let relogin: string | null = null;
  if (actor === 'console') {
    const link = new URL(deps.consoleLoginUrl().url);
    relogin = `${link.pathname}${link.search}`;
  }
  return { rotatedAt, sessionsEnded, relogin };
}
