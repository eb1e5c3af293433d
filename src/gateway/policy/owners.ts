// A key's chain of policy: the key, its user and its team. Model and tool grants, rate limits and
// budgets hold at every link; the first link that refuses is the one a refusal names.
import { GatewayError } from '../errors.js';
import type { KeyRow } from '../store/keys.js';
import type { TeamRow, UserRow } from '../store/users.js';

/** The key's user and team, whose grants, limits and budgets apply to its calls as well as its own. */
export interface Owners {
  user?: UserRow;
  team?: TeamRow;
}

/** Refuses a key whose user or team is disabled (or gone): disabling one stops all its keys at once. */
export function checkOwners(key: KeyRow, owners: Owners): void {
  if (key.userId && (!owners.user || owners.user.disabledAt)) {
    throw new GatewayError('AUTH_INVALID', `the user of key "${key.name}" (${owners.user?.name ?? key.userId}) is disabled; enable it with gatehouse users enable`);
  }
  if (key.teamId && (!owners.team || owners.team.disabledAt)) {
    throw new GatewayError('AUTH_INVALID', `the team of key "${key.name}" (${owners.team?.name ?? key.teamId}) is disabled; enable it with gatehouse teams enable`);
  }
}

export interface Link {
  id: string;
  label: string;
  /** The command that changes this link's policy, for refusals to name. */
  raise: string;
  row: Pick<KeyRow, 'models' | 'mcpTools' | 'budgets' | 'rpm' | 'tpm' | 'maxConcurrency'>;
}

/** Key, user, team: the chain in order, each with how refusals name it. */
export function chainOf(key: KeyRow, owners: Owners): Link[] {
  return [
    { id: `key:${key.id}`, label: `key "${key.name}"`, raise: 'gatehouse keys update', row: key },
    ...(owners.user ? [{ id: `user:${owners.user.id}`, label: `user "${owners.user.name}"`, raise: 'gatehouse users update', row: owners.user }] : []),
    ...(owners.team ? [{ id: `team:${owners.team.id}`, label: `team "${owners.team.name}"`, raise: 'gatehouse teams update', row: owners.team }] : []),
  ];
}
