// The control-plane contract: every method and event the UI, the CLI and the admin API share.
// Pure types and constants only: this file crosses process boundaries (renderer, preload, CLI).

export type BudgetWindow = 'day' | 'week' | 'month' | 'total';

export interface BudgetSpec {
  /** US dollars. */
  amountUsd: number;
  window: BudgetWindow;
}

export const BUDGET_WINDOWS: readonly BudgetWindow[] = ['day', 'week', 'month', 'total'];

/** `5/day`, `$50/month`: how budgets are written on the command line and in the config; undefined when malformed. */
export function parseBudgetSpec(text: string): BudgetSpec | undefined {
  const m = /^\$?(\d+(?:\.\d+)?)\/(day|week|month|total)$/.exec(text.trim());
  return m ? { amountUsd: Number(m[1]), window: m[2] as BudgetWindow } : undefined;
}

/** A virtual key as the control plane shows it: never the secret, only its prefix. */
export interface KeySummary {
  id: string;
  name: string;
  /** The first characters of the secret, enough to recognise it in a list. */
  prefix: string;
  userId: string | null;
  teamId: string | null;
  /** Route/model globs this key may call; empty means all. */
  models: string[];
  /** MCP tool globs (`server__tool`) this key may call; empty means all. */
  mcpTools: string[];
  budgets: BudgetSpec[];
  rpm: number | null;
  tpm: number | null;
  maxConcurrency: number | null;
  /** The route used for model names the config does not know (names agents send on their own); null: refused. */
  defaultRoute: string | null;
  /** The MCP toolset (a name under `toolsets` in the config) its sessions are offered; null: every granted tool. */
  mcpToolset: string | null;
  /** The guardrail profile (a name under `guardrails.profiles` in the config) its calls run with; null: the global settings. */
  guardrails: string | null;
  expiresAt: string | null;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
}

export interface KeyCreateParams {
  name: string;
  userId?: string | null;
  teamId?: string | null;
  models?: string[];
  mcpTools?: string[];
  budgets?: BudgetSpec[];
  rpm?: number | null;
  tpm?: number | null;
  maxConcurrency?: number | null;
  defaultRoute?: string | null;
  mcpToolset?: string | null;
  guardrails?: string | null;
  expiresAt?: string | null;
}

export type KeyUpdateParams = { id: string } & Partial<Omit<KeyCreateParams, 'name'>> & { name?: string };

/** Returned once, at creation or rotation: the only time the secret is shown. */
export interface KeyWithSecret {
  key: KeySummary;
  secret: string;
}

/**
 * The grants, budgets and limits a key, a user and a team each carry. A request must pass those of
 * its key, the key's user and the key's team.
 */
export interface PolicyFields {
  /** Route/model globs; empty means all. */
  models: string[];
  /** MCP tool globs (`server__tool`); empty means all. */
  mcpTools: string[];
  budgets: BudgetSpec[];
  rpm: number | null;
  tpm: number | null;
  maxConcurrency: number | null;
}

/** A user: owns keys. Never deleted; disabling one refuses all its keys at once. */
export interface UserSummary extends PolicyFields {
  id: string;
  /** Unique: commands and the `userId` of a key accept it in place of the id. */
  name: string;
  email: string | null;
  createdAt: string;
  disabledAt: string | null;
  status: 'active' | 'disabled';
  /** Keys of this user that are not revoked. */
  keyCount: number;
}

/** A team: groups keys (of any users). Never deleted; disabling one refuses all its keys at once. */
export interface TeamSummary extends PolicyFields {
  id: string;
  /** Unique: commands and the `teamId` of a key accept it in place of the id. */
  name: string;
  createdAt: string;
  disabledAt: string | null;
  status: 'active' | 'disabled';
  /** Keys of this team that are not revoked. */
  keyCount: number;
}

export type TeamCreateParams = { name: string } & Partial<PolicyFields>;
export type UserCreateParams = TeamCreateParams & { email?: string | null };
/** `id` is the id or the name; `name` renames. */
export type TeamUpdateParams = { id: string; name?: string } & Partial<PolicyFields>;
export type UserUpdateParams = TeamUpdateParams & { email?: string | null };

export interface SecretInfo {
  name: string;
  backend: 'keychain';
}

export interface ConfigIssue {
  /** Dotted path of the field, e.g. `providers[1].type`. */
  path: string;
  message: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

export interface ConfigSnapshot {
  path: string;
  /** The file's text exactly as on disk. */
  text: string;
  /** SHA-256 of the text: pass it back to `config:edit` so a file changed underneath is not overwritten. */
  hash: string;
  /** The hash of the config the gateway is running; differs from `hash` while a change is refused or pending. */
  appliedHash: string;
  appliedAt: string;
  lastError: { at: string; issues: ConfigIssue[] } | null;
}

export type ConfigEditOp =
  | { op: 'set'; path: (string | number)[]; value: unknown }
  | { op: 'delete'; path: (string | number)[] };

export interface GatewayStatus {
  version: string;
  url: string;
  pid: number;
  startedAt: string;
  dataDir: string;
  configPath: string;
  providers: { id: string; type: string; ready: boolean; error: string | null }[];
  /**
   * Route targets the gateway has called since it started: `closed` is healthy, `open` is cooling
   * down after consecutive failures (skipped until `openUntil`), `half-open` gets one trial call.
   */
  targets: { targetId: string; state: 'closed' | 'open' | 'half-open'; consecutiveFailures: number; ewmaTtfbMs: number | null; openUntil: string | null }[];
  ledger: { events: number; headHash: string | null };
}

/**
 * What a usage report adds up by. `request` gives one row per request (no grouping). `tool` sums
 * MCP tool calls (`mcp.call`) instead of model requests; every other grouping sums model requests.
 */
export const USAGE_GROUP_BYS = ['key', 'user', 'team', 'model', 'provider', 'route', 'session', 'client', 'day', 'request', 'tool'] as const;
export type UsageGroupBy = (typeof USAGE_GROUP_BYS)[number];

export interface UsageReportParams {
  /** A UTC day `YYYY-MM-DD` (from its start) or an ISO timestamp with a zone; omitted: the ledger's start. */
  from?: string;
  /** A UTC day `YYYY-MM-DD` (that day included) or an ISO timestamp (excluded); omitted: now. */
  to?: string;
  groupBy: UsageGroupBy;
}

/** Sums over a set of `llm.request` ledger rows. Token counts are the ledger's four billed counts plus reasoning. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Informational: already inside outputTokens. */
  reasoningTokens: number;
  /**
   * USD paid through the gateway's own provider keys, summed then rounded to 1e-9; unpriced
   * requests add nothing. Calls made with the caller's own subscription credential are in
   * `subscriptionCostUsd` instead.
   */
  costUsd: number;
  /** Requests that used tokens on a model with no known price: costUsd leaves them out. */
  unpricedRequests: number;
  /** Requests whose counts are the gateway's upper-bound estimate (the provider reported none). */
  estimatedRequests: number;
  /** Requests whose outcome was not `ok`. */
  errors: number;
  /**
   * The list-price value, in USD, of calls paid by the caller's own subscription (the virtual key in
   * x-gatehouse-key, the caller's sign-in passed to the provider): usage, not money the gateway's keys spent.
   */
  subscriptionCostUsd: number;
  /**
   * Group by tool only (MCP tool calls; `requests` counts the calls, `errors` those whose outcome
   * was not `ok`, the token counts are 0): calls the gateway refused (policy, approval, budget,
   * quarantine), included in `errors`.
   */
  refused?: number;
  /** Group by tool only: the calls' summed wall time, ms. */
  durationMs?: number;
  /** Group by tool only: durationMs / requests, rounded to 0.1 ms (0 with no calls). */
  avgDurationMs?: number;
}

/** The counts of UsageTotals in their documented order: the order of CSV columns. */
export const USAGE_COUNT_FIELDS = [
  'requests',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'costUsd',
  'unpricedRequests',
  'estimatedRequests',
  'errors',
  'subscriptionCostUsd',
] as const satisfies readonly (keyof UsageTotals)[];

/** The counts only tool reports have, in order: the CSV columns after USAGE_COUNT_FIELDS. */
export const TOOL_COUNT_FIELDS = ['refused', 'durationMs', 'avgDurationMs'] as const satisfies readonly (keyof UsageTotals)[];

export interface UsageRow extends UsageTotals {
  /**
   * The key id, user id, team id, `provider/model`, provider, route, session, client (the caller's
   * user-agent), UTC day, request id or `server__tool`;
   * `(none)` where the request has no such value.
   */
  group: string;
  /** Group by key, user or team: its name (null when it is unknown or the group is `(none)`). */
  label?: string | null;
  /** Group by request only: when it was recorded, where it went and how it ended. */
  at?: string;
  provider?: string | null;
  model?: string | null;
  status?: number | null;
  outcome?: string | null;
  /** Group by tool only: the MCP server id and the tool's own name. */
  server?: string;
  tool?: string;
}

export interface UsageReport {
  /** The range read, as ISO instants: `from` included, `to` excluded; null where the range is open. */
  from: string | null;
  to: string | null;
  groupBy: UsageGroupBy;
  /** When the report was read (ISO). */
  generatedAt: string;
  /**
   * Sorted by cost (highest first), then group (`tool`: then calls, then group); by time for
   * `day` and `request`. `day` has a row for every UTC day of the range, zero where nothing ran
   * (an open end stops at the first or last day with a request).
   */
  rows: UsageRow[];
  totals: UsageTotals;
}

export interface ControlMethods {
  'status:get': { params: Record<string, never>; result: GatewayStatus };
  'keys:create': { params: KeyCreateParams; result: KeyWithSecret };
  'keys:list': { params: { includeRevoked?: boolean }; result: KeySummary[] };
  'keys:update': { params: KeyUpdateParams; result: KeySummary };
  'keys:rotate': { params: { id: string }; result: KeyWithSecret };
  'keys:revoke': { params: { id: string }; result: KeySummary };
  /** Users and teams: `id` in update/disable/enable is the id or the unique name. No delete: disable instead. */
  'users:create': { params: UserCreateParams; result: UserSummary };
  'users:list': { params: Record<string, never>; result: UserSummary[] };
  'users:update': { params: UserUpdateParams; result: UserSummary };
  'users:disable': { params: { id: string }; result: UserSummary };
  'users:enable': { params: { id: string }; result: UserSummary };
  'teams:create': { params: TeamCreateParams; result: TeamSummary };
  'teams:list': { params: Record<string, never>; result: TeamSummary[] };
  'teams:update': { params: TeamUpdateParams; result: TeamSummary };
  'teams:disable': { params: { id: string }; result: TeamSummary };
  'teams:enable': { params: { id: string }; result: TeamSummary };
  'secrets:list': { params: Record<string, never>; result: SecretInfo[] };
  'secrets:set': { params: { name: string; value: string }; result: SecretInfo };
  'secrets:delete': { params: { name: string }; result: { deleted: boolean } };
  'config:get': { params: Record<string, never>; result: ConfigSnapshot };
  'config:validate': { params: { text: string }; result: { ok: boolean; issues: ConfigIssue[] } };
  'config:edit': { params: { baseHash: string; ops: ConfigEditOp[] }; result: ConfigSnapshot };
  'console:login-url': { params: Record<string, never>; result: { url: string; expiresAt: string } };
  /** Read-only: tokens and cost from the ledger's `llm_usage` view over a time range. */
  'report:usage': { params: UsageReportParams; result: UsageReport };
  /** MCP tool calls waiting for a person (they live in the running gateway only). */
  'approvals:list': { params: Record<string, never>; result: PendingApproval[] };
  /** `where` (with `always` only): argument name -> glob the later calls' arguments must match to run without asking. */
  'approvals:decide': { params: { id: string; decision: ApprovalDecision; where?: Record<string, string> }; result: PendingApproval };
  /** Pinned MCP tool definitions, and those quarantined (changed or flagged) with the diff. */
  'pins:list': { params: Record<string, never>; result: { pinned: PinnedTool[]; quarantined: QuarantinedTool[] } };
  /** Pins the current definition of a quarantined tool (or of all a server's quarantined tools). */
  'pins:accept': { params: { server: string; tool?: string }; result: { accepted: string[] } };
  /** Recomputes the ledger's chain over the stored bytes, then checks each checkpoint given. */
  'audit:verify': { params: { checkpoints?: AuditCheckpoint[] }; result: AuditVerifyResult };
  /** The head of the chain, signed with the ledger key: keep it somewhere else, and give it to audit:verify later. */
  'audit:checkpoint': { params: Record<string, never>; result: AuditCheckpoint };
  /** Deletes the records written before `before` (at least 31 days ago), keeping the rest verifiable. */
  'audit:prune': { params: { before: string }; result: { deleted: number; throughSeq: number } };
  /** Read-only: the ledger's records, newest first, filtered, a page at a time (for the console's audit view). */
  'audit:list': { params: AuditListParams; result: AuditListResult };
  /** Read-only: every budget of the config, the users, the teams and the live keys, with what its current period spent and holds. */
  'budgets:list': { params: Record<string, never>; result: BudgetMeter[] };
  /** Each coding agent Gatehouse can set up: its files (and whether they point here) and when it was last seen. Read-only. */
  'agents:list': { params: Record<string, never>; result: AgentsOverview };
  /** An agent's settings for this gateway (as `gatehouse agents setup`); with `write`, merged into exactly the recipe's files. */
  'agents:setup': { params: AgentSetupParams; result: AgentSetupResult };
  /** A new admin token in the data directory: the old one and every other console session stop working at once. */
  'admin:rotate-token': { params: Record<string, never>; result: AdminTokenRotated };
  /** Calls the provider's model listing with its configured key (bounded by PROVIDER_TEST_TIMEOUT_MS): whether it answers, how fast, with which models. */
  'providers:test': { params: { provider: string }; result: ProviderTestResult };
  /** Read-only: model and tool calls newest first, one summary row each (the console's traffic list). */
  'traffic:list': { params: TrafficListParams; result: TrafficListResult };
  /** Read-only: one call's ledger record and the guardrail findings recorded for it. */
  'traffic:get': { params: { requestId: string; seq?: number }; result: TrafficDetail };
  /** A usage report rendered as `gatehouse report --format F` writes it, for the console to download. */
  'report:export': { params: ReportExportParams; result: ReportExport };
}

/**
 * A page of the ledger, newest first. Filters combine (AND). Each call reads at most a bounded run of
 * records (AUDIT_LIST_SCAN), so a rare match in a long ledger may take several pages: keep calling
 * with `before: nextBefore` until it is null.
 */
export interface AuditListParams {
  /** Only records with a seq below this (the previous page's `nextBefore`); omitted: from the head. */
  before?: number;
  /** At most this many records (1..500); default 100. */
  limit?: number;
  /** An ISO time: records at or after it. */
  from?: string;
  /** An ISO time: records before it. */
  to?: string;
  /** An event type (`mcp.call`), or a prefix ending in `.` or `.*` (`admin.`, `mcp.*`). */
  type?: string;
  /** Records naming this key (`keyId`). */
  keyId?: string;
  /** MCP records for this tool: its own name or the `server__tool` name the client used. */
  tool?: string;
  /** Records with this `decision` (`allow`, `ask`, `deny`, `once`, `session`, `always`). */
  decision?: string;
  /** Text the record's JSON contains (case-insensitive for ASCII). */
  q?: string;
}

/** What the traffic list shows of one model call (`llm.request`) or MCP tool call (`mcp.call`). */
export interface TrafficRow {
  requestId: string;
  /** The ledger record's seq; null for a row made from a live event (the ledger has it too). */
  seq: number | null;
  at: string;
  kind: 'llm' | 'mcp';
  keyId: string | null;
  /** Model calls: the model that answered (`gpt-4o-mini`); tool calls: null. */
  model: string | null;
  /** Model calls: the provider id; tool calls: the MCP server id. */
  provider: string | null;
  /** Tool calls: the name the client called (`server__tool`); model calls: null. */
  tool: string | null;
  /** Model calls: the HTTP status answered; tool calls: null. */
  status: number | null;
  outcome: string;
  latencyMs: number;
  /** Input tokens including cache reads and writes (as `request:completed` counts them). */
  inputTokens: number;
  outputTokens: number;
  /** USD; null when unpriced. */
  costUsd: number | null;
}

export const TRAFFIC_KINDS = ['llm', 'mcp'] as const;

/** A page of traffic, newest first; filters combine (AND). Reads at most TRAFFIC_LIST_SCAN records a call. */
export interface TrafficListParams {
  /** Only records with a seq below this (the previous page's `nextBefore`). */
  before?: number;
  /** At most this many rows (1..1000); default 200. */
  limit?: number;
  kind?: (typeof TRAFFIC_KINDS)[number];
  keyId?: string;
  /** Text in the model (model calls) or the tool's name (tool calls), case-insensitive. */
  model?: string;
  /** An outcome (`ok`, `upstream_error`, `refused`...), or `!ok`: every call that did not end `ok`. */
  outcome?: string;
  /** Text the record's JSON contains (case-insensitive for ASCII). */
  q?: string;
}

export const TRAFFIC_LIST_SCAN = 20_000;

export interface TrafficListResult {
  rows: TrafficRow[];
  /** Pass as `before` for older rows; null when the ledger has nothing older to read. */
  nextBefore: number | null;
}

/** One call in full: its ledger record (untrusted text inside) and the `guardrail.findings` records naming it. */
export interface TrafficDetail {
  record: AuditRecord;
  findings: AuditRecord[];
}

export const REPORT_FORMATS = ['csv', 'json', 'html', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export type ReportExportParams = UsageReportParams & { format: ReportFormat };

/** A rendered report: `content` is the file's text (`utf8`) or its bytes in base64 (`base64`, the PDF). */
export interface ReportExport {
  fileName: string;
  mimeType: string;
  encoding: 'utf8' | 'base64';
  content: string;
  /** The file's size in bytes. */
  bytes: number;
}

/** The largest report the console downloads (bytes); a larger one is refused with the CLI command to write it instead. */
export const REPORT_EXPORT_MAX_BYTES = 16 * 1024 * 1024;

/** Records read per `audit:list` call at most, matching or not. */
export const AUDIT_LIST_SCAN = 20_000;

export interface AuditRecord {
  seq: number;
  at: string;
  type: string;
  /** The record's chain hash. */
  hash: string;
  /** The event as stored (parsed JSON). Untrusted text inside: show it as text. */
  body: Record<string, unknown>;
}

export interface AuditListResult {
  records: AuditRecord[];
  /** Pass as `before` for the next (older) page; null when the ledger has nothing older to read. */
  nextBefore: number | null;
}

/** One budget of one subject in its current period. */
export interface BudgetMeter {
  /** `global`, `key:ID`, `user:ID` or `team:ID` (as in budget:alert). */
  subject: string;
  kind: 'global' | 'key' | 'user' | 'team';
  /** The key's, user's or team's name; `gateway` for the config's budgets. */
  name: string;
  window: BudgetWindow;
  /** The current period, e.g. `2026-11-24`, `week-of-2026-11-23`, `2026-11`, `total`. */
  period: string;
  limitUsd: number;
  /** USD spent in the period, from the ledger. */
  spentUsd: number;
  /** USD held by requests in flight on this subject (not yet spent). */
  reservedUsd: number;
  /** When the next period starts (ISO); null for a total budget. */
  resetsAt: string | null;
}

/**
 * A person's answer to a tool call that asks: run it `once`, for the rest of this MCP `session`,
 * `always` (this tool, for this key, remembered across restarts), or `deny` it.
 */
export const APPROVAL_DECISIONS = ['once', 'session', 'always', 'deny'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/** A tool call waiting for approval: everything a person needs to decide. */
export interface PendingApproval {
  id: string;
  /**
   * The MCP server id and the tool's own name there; `name` is what the client called it. For a
   * model call whose prompt has an `ask` guardrail finding: server `llm`, tool the route, name the
   * model asked for, and `arguments` the texts that asked, by their JSON path.
   */
  server: string;
  tool: string;
  name: string;
  /** The call's arguments, in full (shown to the person; not written to the ledger). */
  arguments: unknown;
  /** Why it asks: the policy rule, or the guardrail finding. */
  reason: string;
  /** What the guardrails found in the arguments (kinds and rules, never the values). */
  findings: { type: string; rule: string; action: string }[];
  keyId: string;
  keyName: string;
  user: string | null;
  team: string | null;
  session: string;
  requestedAt: string;
  /** When it is denied for want of an answer. */
  expiresAt: string;
}

/** An MCP tool held back: its definition changed since it was pinned, or the guardrails flagged it. */
export interface QuarantinedTool {
  server: string;
  tool: string;
  reason: 'changed' | 'flagged';
  message: string;
  /** For a change: the unified diff from the pinned definition to the current one. */
  diff: string | null;
  detectedAt: string;
}

export interface PinnedTool {
  server: string;
  tool: string;
  hash: string;
  serverVersion: string | null;
  pinnedAt: string;
  /** `first use`, or who accepted it. */
  pinnedBy: string;
}

export interface ApprovalResolved {
  id: string;
  outcome: 'approved' | 'denied' | 'timeout' | 'withdrawn';
  decision: ApprovalDecision | null;
  /** Who decided: an actor (cli, console, desktop...), or the gateway for a timeout or a withdrawn call. */
  by: string;
}

export type ControlMethod = keyof ControlMethods;
export type ControlParams<M extends ControlMethod> = ControlMethods[M]['params'];
export type ControlResult<M extends ControlMethod> = ControlMethods[M]['result'];

export const CONTROL_METHODS = [
  'status:get',
  'keys:create',
  'keys:list',
  'keys:update',
  'keys:rotate',
  'keys:revoke',
  'users:create',
  'users:list',
  'users:update',
  'users:disable',
  'users:enable',
  'teams:create',
  'teams:list',
  'teams:update',
  'teams:disable',
  'teams:enable',
  'secrets:list',
  'secrets:set',
  'secrets:delete',
  'config:get',
  'config:validate',
  'config:edit',
  'console:login-url',
  'report:usage',
  'approvals:list',
  'approvals:decide',
  'pins:list',
  'pins:accept',
  'audit:verify',
  'audit:checkpoint',
  'audit:prune',
  'audit:list',
  'budgets:list',
  'agents:list',
  'agents:setup',
  'admin:rotate-token',
  'providers:test',
  'traffic:list',
  'traffic:get',
  'report:export',
] as const satisfies readonly ControlMethod[];

/** How long `providers:test` waits for a provider's model listing before it says the provider did not answer. */
export const PROVIDER_TEST_TIMEOUT_MS = 10_000;
/** Model ids a `providers:test` result carries at most (`modelCount` has them all). */
export const PROVIDER_TEST_MAX_MODELS = 200;

/**
 * Why a provider test failed: its key is not where the config says (`key_missing`), the provider
 * refused it (`key_refused`), it could not be reached or did not answer in time, it has no model
 * listing, its configuration cannot work, the keychain could not be read, or it answered with an error.
 */
export type ProviderTestErrorCode = 'key_missing' | 'key_refused' | 'unreachable' | 'timeout' | 'no_listing' | 'misconfigured' | 'keychain' | 'upstream_error';

export interface ProviderTestResult {
  provider: string;
  ok: boolean;
  /** Wall time of the listing, all its pages, in ms (until the failure when it failed). */
  latencyMs: number;
  /** The model ids found, in the provider's order, at most PROVIDER_TEST_MAX_MODELS. */
  models: string[];
  /** How many model ids the listing had. */
  modelCount: number;
  testedAt: string;
  /** What went wrong and what to do; never the key. `status` is the provider's HTTP status, when it answered. */
  error?: { code: ProviderTestErrorCode; message: string; status?: number };
}

/** One of an agent's user-level settings files, as it is now. */
export interface AgentFileState {
  path: string;
  exists: boolean;
  /** Gatehouse writes the key into it (mode 0600). */
  holdsKey: boolean;
  /** It names this gateway's address. */
  pointsHere: boolean;
  /** The virtual key found in it: its id and name when it is a live key of this gateway, else only why not. */
  key: { status: 'active' | 'revoked' | 'expired' | 'unknown'; id: string | null; name: string | null; prefix: string | null } | null;
}

/** When an agent last called the gateway, from the ledger's model calls (their user-agent). */
export interface AgentSeen {
  at: string;
  /** The raw user-agent of the latest call. */
  client: string;
  /** Calls among the records read. */
  requests: number;
  keyId: string | null;
}

export interface AgentSummary {
  /** `claude-code`, `codex`, `gemini`, `continue`, `opencode`, `aider`. */
  id: string;
  title: string;
  /** The API family it speaks: a route to a provider of this family is passed through, not translated. */
  family: 'openai' | 'anthropic' | 'gemini';
  /** It can keep its own subscription sign-in (the key then travels in x-gatehouse-key). */
  subscription: boolean;
  files: AgentFileState[];
  /** Every file that holds the key names this gateway. */
  pointsHere: boolean;
  /** The route `agents:setup` uses when none is given, and why; null when the config has no routes. */
  suggestedModel: { model: string; why: string } | null;
  lastSeen: AgentSeen | null;
  sources: string[];
  /** Why its files could not be read (e.g. one is not valid in its format); null when they could. */
  problem: string | null;
}

export interface AgentsOverview {
  /** The address agents are pointed at (the running gateway's). */
  gatewayUrl: string;
  /** The config's routes, with the API family of each first target's provider. */
  routes: { name: string; family: 'openai' | 'anthropic' | 'gemini' | null }[];
  agents: AgentSummary[];
  /** User-agents seen that match no agent (SDKs, scripts), latest first. */
  otherClients: AgentSeen[];
  /** The ledger records `lastSeen` covers: the newest AGENTS_SEEN_SCAN when the gateway first read them, and every one since. */
  scanned: number;
}

/** Ledger records the first `agents:list` of a running gateway reads for last-seen times (the newest); later calls read only what was appended since. */
export const AGENTS_SEEN_SCAN = 100_000;

export interface AgentSetupParams {
  agent: string;
  /** An existing key to use: give its secret in `key` too for the snippets and for `write` (the gateway keeps only hashes). */
  keyId?: string;
  /** A virtual key's secret (`gh_...`); it must be a live key of this gateway (and `keyId`'s, when both are given). */
  key?: string;
  /** Create a key named after the agent, its default route the model; the secret is returned once. */
  createKey?: boolean;
  /** The route the agent asks for; default: the agent's `suggestedModel`. */
  model?: string;
  smallModel?: string;
  /** Claude Code and Codex: keep the agent's own sign-in; the key goes in x-gatehouse-key. */
  subscription?: boolean;
  /** Merge the settings into the agent's files (each backed up first). Needs a key and `confirmPaths`. */
  write?: boolean;
  /** With `write`: the exact files the person confirmed; refused (conflict) when they are not the files the recipe writes. */
  confirmPaths?: string[];
}

export interface AgentSetupResult {
  agent: string;
  title: string;
  gatewayUrl: string;
  model: string;
  modelWhy: string;
  /** The key the settings hold; null: the placeholder gh_YOUR_KEY. */
  key: { id: string; name: string; prefix: string } | null;
  /** The key made by `createKey`, with its secret: shown this once. */
  created: KeyWithSecret | null;
  /** Each file as it would be written if it did not exist yet. */
  snippets: { path: string; text: string }[];
  /** `export NAME=value` lines, for agents that read the environment. */
  exports: string[];
  notes: string[];
  /** With `write`: each file, whether it changed, where the old one was copied, and the diff (keys masked). */
  written: { path: string; changed: boolean; backup: string | null; secret: boolean; diff: string }[] | null;
}

export interface AdminTokenRotated {
  rotatedAt: string;
  /** Console sessions and unused login links that stopped working. */
  sessionsEnded: number;
  /** For a console session that asked: a one-time link (`/?token=...`, relative) that signs it in again under the new token. */
  relogin: string | null;
}

/** The head of the ledger's chain at a time, signed (HMAC-SHA256) with the ledger key. */
export interface AuditCheckpoint {
  format: 'gatehouse-checkpoint/1';
  ledgerId: string;
  seq: number;
  hash: string;
  /** When record `seq` was written. */
  recordAt: string;
  /** When the checkpoint was made. */
  madeAt: string;
  /** HMAC-SHA256 (hex) under the ledger key of the canonical JSON of the fields above. */
  mac: string;
}

export type AuditProblemKind = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'rewritten' | 'wrong-key';

export interface AuditVerifyResult {
  /** `intact`: every record checked; `broken`: `problem` says where; `unverifiable`: a key was missing. */
  status: 'intact' | 'broken' | 'unverifiable';
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Runs of records under one rule: keyed (with which ledger key) or not, and why not. */
  segments: { from: number; to: number; keyed: boolean; ledgerId?: string; reason?: string }[];
  problem?: { seq: number; kind: AuditProblemKind; message: string };
  /** What was checked against each checkpoint given. */
  checkpoints: { seq: number; madeAt: string; status: 'matches' | 'pruned' | 'unverifiable' }[];
  notes: string[];
}

/** Events pushed to subscribers (server-sent events on `/admin/api/events`, IPC in the desktop app). */
export interface ControlEvents {
  'config:applied': { hash: string; at: string };
  'config:rejected': { at: string; issues: ConfigIssue[] };
  'keys:changed': { id: string; change: 'created' | 'updated' | 'rotated' | 'revoked' };
  'users:changed': { id: string; change: 'created' | 'updated' | 'disabled' | 'enabled' };
  'teams:changed': { id: string; change: 'created' | 'updated' | 'disabled' | 'enabled' };
  'secrets:changed': { name: string; change: 'set' | 'deleted' };
  'request:completed': {
    requestId: string;
    keyId: string | null;
    model: string | null;
    provider: string | null;
    status: number;
    outcome: string;
    latencyMs: number;
    /** USD; null when the model has no known price. */
    costUsd: number | null;
    inputTokens: number;
    outputTokens: number;
  };
  'budget:alert': BudgetAlert;
  /** An MCP tool call waits for a person: the approval popup. */
  'approval:requested': PendingApproval;
  /** It was answered, timed out, or the call was cancelled: the popup goes. */
  'approval:resolved': ApprovalResolved;
  /** A tool was quarantined or a person accepted its new definition. */
  'pins:changed': { server: string; tool: string; change: 'quarantined' | 'accepted' };
  /** An MCP tool call ended (its `mcp.call` record is written): the traffic list's live tool rows. */
  'tool:completed': {
    requestId: string;
    keyId: string;
    server: string;
    tool: string;
    /** The name the client called it by (`server__tool`). */
    name: string;
    decision: string;
    outcome: string;
    durationMs: number;
    costUsd: number | null;
  };
}

/** A budget's spend crossed one of the alert thresholds (`alerts.thresholds` in the config, percent). */
export interface BudgetAlert {
  /** Whose budget: `key:ID`, `user:ID`, `team:ID`, or `global` (the config's `budgets`). */
  subject: string;
  label: string;
  window: BudgetWindow;
  /** The window's period, e.g. `2026-11-24`, `week-of-2026-11-23`, `2026-11`, `total`. */
  period: string;
  amountUsd: number;
  spentUsd: number;
  thresholdPercent: number;
  at: string;
}

export type ControlEventName = keyof ControlEvents;

/** Every event of the contract (what a subscriber over EventSource or IPC registers for). */
export const CONTROL_EVENTS = [
  'config:applied',
  'config:rejected',
  'keys:changed',
  'users:changed',
  'teams:changed',
  'secrets:changed',
  'request:completed',
  'budget:alert',
  'approval:requested',
  'approval:resolved',
  'pins:changed',
  'tool:completed',
] as const satisfies readonly ControlEventName[];
// Fails to compile when the contract gains an event this list lacks.
const _allEvents: Exclude<ControlEventName, (typeof CONTROL_EVENTS)[number]> extends never ? true : never = true;
void _allEvents;
export type ControlEvent = { [E in ControlEventName]: { event: E; data: ControlEvents[E] } }[ControlEventName];

/** Stable error codes of the control plane; the HTTP status for each is fixed in one place. */
export type ControlErrorCode =
  | 'invalid_params'
  | 'unknown_method'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'unavailable'
  | 'internal';

export interface ControlErrorBody {
  error: { code: ControlErrorCode; message: string; details?: unknown };
}
