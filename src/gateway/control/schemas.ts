// Runtime validation of control-plane parameters, kept in step with the shared contract's types.
import { z } from 'zod';
import { AGENT_IDS } from '../agents/recipe.js';
import { APPROVAL_DECISIONS, REPORT_FORMATS, TRAFFIC_KINDS, USAGE_GROUP_BYS, type ControlMethod, type ControlParams } from '../../shared/contract.js';

const id = z.string().min(1).max(128);
const globList = z.array(z.string().min(1).max(256)).max(256);
const optionalLimit = z.int().positive().max(1_000_000_000).nullable().optional();
const isoDate = z.iso.datetime({ offset: true }).nullable().optional();
const budget = z.strictObject({ amountUsd: z.number().positive().max(1e9), window: z.enum(['day', 'week', 'month', 'total']) });

const policyFields = {
  models: globList.optional(),
  mcpTools: globList.optional(),
  budgets: z.array(budget).max(16).optional(),
  rpm: optionalLimit,
  tpm: optionalLimit,
  maxConcurrency: optionalLimit,
};

const keyFields = {
  /** The user's (team's) id or unique name; the service stores the id. */
  userId: id.nullable().optional(),
  teamId: id.nullable().optional(),
  ...policyFields,
  defaultRoute: z.string().min(1).max(256).nullable().optional(),
  mcpToolset: z.string().min(1).max(64).nullable().optional(),
  guardrails: z.string().min(1).max(64).nullable().optional(),
  expiresAt: isoDate,
};

const empty = z.strictObject({});
// A user or team name stands in for its id on the command line: no leading "-", no surrounding spaces.
const ownerName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^(?![-\s])\P{Cc}*(?<!\s)$/u, { error: 'expected a name not starting with "-", without control characters or surrounding spaces' });
const email = z.email().max(254).nullable().optional();
const secretName = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, { error: 'expected letters, digits, ".", "-" or "_" (at most 128)' });
const editPath = z.array(z.union([z.string(), z.int().min(0)])).min(1);
// Only the shape here: store/usage.ts reads the forms (UTC day or zoned timestamp) and names a bad one.
const reportBound = z.string().min(1).max(64).optional();

export const PARAMS = {
  'status:get': empty,
  'keys:create': z.strictObject({ name: z.string().min(1).max(128), ...keyFields }),
  'keys:list': z.strictObject({ includeRevoked: z.boolean().optional() }),
  'keys:update': z.strictObject({ id, name: z.string().min(1).max(128).optional(), ...keyFields }),
  'keys:rotate': z.strictObject({ id }),
  'keys:revoke': z.strictObject({ id }),
  'users:create': z.strictObject({ name: ownerName, email, ...policyFields }),
  'users:list': empty,
  'users:update': z.strictObject({ id, name: ownerName.optional(), email, ...policyFields }),
  'users:disable': z.strictObject({ id }),
  'users:enable': z.strictObject({ id }),
  'teams:create': z.strictObject({ name: ownerName, ...policyFields }),
  'teams:list': empty,
  'teams:update': z.strictObject({ id, name: ownerName.optional(), ...policyFields }),
  'teams:disable': z.strictObject({ id }),
  'teams:enable': z.strictObject({ id }),
  'secrets:list': empty,
  'secrets:set': z.strictObject({ name: secretName, value: z.string().min(1).max(65_536) }),
  'secrets:delete': z.strictObject({ name: secretName }),
  'config:get': empty,
  'config:validate': z.strictObject({ text: z.string().max(4 * 1024 * 1024) }),
  'config:edit': z.strictObject({
    baseHash: z.string().regex(/^[0-9a-f]{64}$/),
    ops: z
      .array(z.union([z.strictObject({ op: z.literal('set'), path: editPath, value: z.unknown() }), z.strictObject({ op: z.literal('delete'), path: editPath })]))
      .min(1),
  }),
  'console:login-url': empty,
  'report:usage': z.strictObject({ from: reportBound, to: reportBound, groupBy: z.enum(USAGE_GROUP_BYS) }),
  'approvals:list': empty,
  'pins:list': empty,
  'pins:accept': z.strictObject({ server: z.string().min(1).max(64), tool: z.string().min(1).max(256).optional() }),
  'audit:verify': z.strictObject({
    checkpoints: z
      .array(
        z.strictObject({
          format: z.literal('gatehouse-checkpoint/1'),
          ledgerId: z.string().min(1).max(64),
          seq: z.int().min(1),
          hash: z.string().regex(/^[0-9a-f]{64}$/),
          recordAt: z.string().min(1).max(64),
          madeAt: z.string().min(1).max(64),
          mac: z.string().regex(/^[0-9a-f]{64}$/),
        }),
      )
      .max(1000)
      .optional(),
  }),
  'audit:checkpoint': empty,
  'audit:prune': z.strictObject({ before: z.iso.datetime({ offset: true }) }),
  'audit:list': z.strictObject({
    before: z.int().min(1).optional(),
    limit: z.int().min(1).max(500).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    type: z.string().regex(/^[a-z0-9_.-]+\*?$/i, { error: 'expected an event type like mcp.call, or a prefix like mcp.*' }).max(64).optional(),
    keyId: id.optional(),
    tool: z.string().min(1).max(256).optional(),
    decision: z.string().min(1).max(32).optional(),
    q: z.string().min(1).max(256).optional(),
  }),
  'budgets:list': empty,
  'agents:list': empty,
  'agents:setup': z
    .strictObject({
      agent: z.enum(AGENT_IDS, { error: `expected one of ${AGENT_IDS.join(', ')}` }),
      keyId: id.optional(),
      key: z.string().regex(/^gh_[A-Za-z0-9_-]{16,200}$/, { error: 'expected a Gatehouse virtual key (gh_...)' }).optional(),
      createKey: z.boolean().optional(),
      model: z.string().min(1).max(256).optional(),
      smallModel: z.string().min(1).max(256).optional(),
      subscription: z.boolean().optional(),
      write: z.boolean().optional(),
      confirmPaths: z.array(z.string().min(1).max(4096)).max(16).optional(),
    })
    .refine((p) => !(p.createKey && (p.key !== undefined || p.keyId !== undefined)), { error: 'give createKey or a key (keyId / key), not both' })
    .refine((p) => !p.write || p.confirmPaths !== undefined, { error: 'write needs confirmPaths: the files the person confirmed' }),
  'admin:rotate-token': empty,
  'providers:test': z.strictObject({ provider: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected a provider id (lower-case letters, digits, "-" or "_")' }) }),
  'traffic:list': z.strictObject({
    before: z.int().min(1).optional(),
    limit: z.int().min(1).max(1000).optional(),
    kind: z.enum(TRAFFIC_KINDS).optional(),
    keyId: id.optional(),
    model: z.string().min(1).max(256).optional(),
    outcome: z.string().min(1).max(64).optional(),
    q: z.string().min(1).max(256).optional(),
  }),
  'traffic:get': z.strictObject({ requestId: z.string().min(1).max(128), seq: z.int().min(1).optional() }),
  'report:export': z.strictObject({ from: reportBound, to: reportBound, groupBy: z.enum(USAGE_GROUP_BYS), format: z.enum(REPORT_FORMATS) }),
  'approvals:decide': z
    .strictObject({ id: z.string().min(1).max(64), decision: z.enum(APPROVAL_DECISIONS), where: z.record(z.string().min(1).max(128), z.string().min(1).max(1024)).optional() })
    .refine((p) => p.where === undefined || p.decision === 'always', { error: '"where" goes with decision "always" only' }),
} satisfies { [M in ControlMethod]: z.ZodType<ControlParams<M>> };

/** Field-by-field message, never echoing values (a secret may be among them). */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`).join('; ');
}
