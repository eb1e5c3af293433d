// The secrets detector: finds credentials in text (vendor tokens, private keys, passwords in URLs and assignments)
// by exact formats first and generic shapes after, and says where they are, never what they are.
//
// Formats were checked against the public gitleaks and betterleaks rule sets and vendor docs (facts only; the
// patterns are written here). Every pattern has bounded repetition and most are gated by a literal keyword, so a
// scan stays linear on megabytes of adversarial text; the few shapes a regex cannot bound (JWTs, PEM blocks, URLs,
// high-entropy runs) are scanned by hand. The keywords are all found in one pass, and a rule whose matches sit at a
// known distance from a keyword is tried only there, so a scan costs little more than one pass however many rules.
//
// Decisions:
// - Placeholders are not reported: AWS's documented `...EXAMPLE` keys, bodies of one or a few repeated characters
//   (`ghp_XXXX…`, `glpat-xxxxxxxx-xxxx…`), elided values (`sk-...`), template references (`${VAR}`, `{{ x }}`),
//   and PEM blocks whose body is not base64 (`...`, `<your key>`).
// - Stripe publishable keys (`pk_live_`/`pk_test_`) are meant to ship in client code: not reported. `sk_test_`
//   keys are reported with a lower score than live ones. A Twilio Account SID and a Sentry DSN without a secret
//   part are identifiers rather than credentials: reported warn-only / with a lower score.
// - Spans: the token itself; for `key = value` assignments only the value; for URLs with a password only the
//   password (the user and host stay readable); for webhook URLs and DSNs the whole URL (the URL is the secret);
//   for PEM/OpenSSH/PGP blocks the whole block from `-----BEGIN` to the end marker.
// - Overlaps: when findings overlap, the most specific wins (exact format > format needing context > generic
//   assignment/URL > high entropy), then the longer span.

import type { Detector, DetectorFactory, Finding } from './types.js';

export interface SecretsOptions {
  /** Report long random-looking strings as warn-only `high-entropy` findings (default true). */
  highEntropy?: boolean;
  /** Rule ids not to report, e.g. one that is noisy for a given workload. */
  disabledRules?: readonly string[];
}

/** How specific a rule is; on overlap the higher rank wins. */
const Rank = { Entropy: 0, Generic: 1, Context: 2, Exact: 3 } as const;
type Rank = (typeof Rank)[keyof typeof Rank];

interface Candidate extends Finding {
  rank: Rank;
}

interface PatternRule {
  id: string;
  /** The rule runs only when one of these literals occurs in the text (lower-cased text when `anyCase`). */
  keywords: readonly string[];
  anyCase?: boolean;
  /** Global, with the `d` flag; the `s` group (or the whole match) is the secret. */
  pattern: RegExp;
  rank: Rank;
  score: number | ((value: string) => number);
  warnOnly?: boolean;
  /** Rejects a match that has the shape but is not a live secret (placeholder, failed structure check). */
  accept?: (value: string) => boolean;
  /**
   * Where a match can start, so the pattern is tried there only instead of at every position of the text. It must
   * return every start a match can have (extra ones cost a little time; a missing one loses the match), or undefined
   * when there would be more than `limit` (then the whole text is searched, which is cheaper); null: the pattern has
   * no literal at a known distance from its start, and the whole text is always searched.
   */
  starts?: Starts | null;
}

/**
 * Positions of one of the rule's keywords in the text (`anyCase` ones in any ASCII case), ascending; undefined for
 * a literal that is not one of them, or that the one-pass keyword search does not place (one character, non-ASCII).
 */
type KeywordAt = (keyword: string) => readonly number[] | undefined;
type Starts = (at: KeywordAt, text: string, limit: number) => number[] | undefined;

/** A match starts `back` characters before an occurrence of one of `keywords` (right at it by default). */
const startsAt =
  (keywords: readonly string[], ...back: number[]): Starts =>
  (at, _text, limit) => {
    const backs = back.length > 0 ? back : [0];
    const found: (readonly number[])[] = [];
    for (const k of keywords) {
      const positions = at(k);
      if (!positions) return undefined;
      found.push(positions);
    }
    if (found.reduce((n, positions) => n + positions.length, 0) * backs.length > limit) return undefined;
    const starts: number[] = [];
    for (const positions of found) for (const q of positions) for (const b of backs) starts.push(q - b);
    return starts;
  };

// Token boundaries: a token must not be part of a longer run of token characters.
const L = String.raw`(?<![A-Za-z0-9_-])`;
const R = String.raw`(?![A-Za-z0-9_-])`;
const token = (body: string): RegExp => new RegExp(`${L}(?<s>${body})${R}`, 'gd');
/** `<key name> <sep> <value>` where the key names the vendor; the value alone is the span. */
const assigned = (keyPattern: string, value: string): RegExp =>
  new RegExp(String.raw`(?<![A-Za-z0-9])${keyPattern}["']?[ \t]*(?:=>|:=|=|:)[ \t]*["']?(?<s>${value})(?![A-Za-z0-9_+/=-])`, 'gdi');
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** A vendor format; unless `extra.starts` says otherwise, every match begins with one of its keywords. */
const exact = (id: string, keywords: readonly string[], body: string, extra: Partial<PatternRule> = {}): PatternRule => ({
  id,
  keywords,
  pattern: token(body),
  rank: Rank.Exact,
  score: 1,
  starts: startsAt(keywords),
  ...extra,
});

const PATTERN_RULES: readonly PatternRule[] = [
  // AWS: key ids are 4-letter prefix + 16 base32 chars (docs: "Understanding unique ID prefixes").
  exact('aws-access-key-id', ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'], '(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}', {
    accept: (v) => !v.endsWith('EXAMPLE'),
  }),
  // The secret key has no prefix: only recognisable next to its name (credentials file, env, STS JSON).
  {
    id: 'aws-secret-access-key',
    keywords: ['secret'],
    anyCase: true,
    pattern: assigned(String.raw`(?:aws[_.-]?secret[_.-]?(?:access[_.-]?)?key|secret[_.-]?access[_.-]?key)`, '[A-Za-z0-9/+]{40}'),
    rank: Rank.Context,
    score: 0.9,
    accept: (v) => !v.includes('EXAMPLE'),
    starts: startsAt(['secret'], 0, 3, 4), // `secret…`, or `aws` and maybe a separator before it
  },

  // GitHub: prefix + 36 base62 (the last 6 a CRC32); fine-grained PATs are `github_pat_` + 82.
  exact('github-pat', ['ghp_'], 'ghp_[A-Za-z0-9]{36}'),
  exact('github-oauth-token', ['gho_'], 'gho_[A-Za-z0-9]{36}'),
  exact('github-app-user-token', ['ghu_'], 'ghu_[A-Za-z0-9]{36}'),
  exact('github-app-installation-token', ['ghs_'], 'ghs_[A-Za-z0-9]{36}'),
  exact('github-refresh-token', ['ghr_'], 'ghr_[A-Za-z0-9]{36}'),
  exact('github-fine-grained-pat', ['github_pat_'], 'github_pat_[A-Za-z0-9_]{82}'),

  // GitLab: docs.gitlab.com "Token prefixes"; newer tokens are routable (`<body>.<2><7>`).
  exact('gitlab-pat', ['glpat-'], String.raw`glpat-(?:[A-Za-z0-9_-]{20}|[A-Za-z0-9_-]{27,300}\.[a-z0-9]{9})`),
  exact('gitlab-deploy-token', ['gldt-'], 'gldt-[A-Za-z0-9_-]{20}'),
  exact('gitlab-runner-token', ['glrt-', 'GR1348941'], String.raw`glrt-(?:[A-Za-z0-9_-]{20}|t\d_[A-Za-z0-9_-]{27,300}\.[a-z0-9]{9})|GR1348941[A-Za-z0-9_-]{20}`),
  exact('gitlab-trigger-token', ['glptt-'], 'glptt-[a-f0-9]{40}'),
  exact('gitlab-token', ['glft-', 'glimt-', 'glsoat-', 'glffct-', 'glagent-', 'gloas-', 'glcbt-'],
    '(?:glft|glsoat|glffct)-[A-Za-z0-9_-]{20}|glimt-[A-Za-z0-9_-]{25}|glagent-[A-Za-z0-9_-]{50}|gloas-[A-Za-z0-9_-]{64}|glcbt-[A-Za-z0-9]{1,5}_[A-Za-z0-9_-]{20}'),

  // Package registries. PyPI tokens are macaroons whose base64 starts with the encoded "pypi.org" location.
  exact('npm-token', ['npm_'], 'npm_[A-Za-z0-9]{36}'),
  exact('pypi-token', ['pypi-'], 'pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,1000}'),

  // Model providers.
  exact('openai-api-key', ['sk-'], 'sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,300}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}'),
  exact('anthropic-api-key', ['sk-ant-api03-'], 'sk-ant-api03-[A-Za-z0-9_-]{93}AA'),
  exact('anthropic-admin-key', ['sk-ant-admin01-'], 'sk-ant-admin01-[A-Za-z0-9_-]{93}AA'),
  exact('openrouter-api-key', ['sk-or-v1-'], 'sk-or-v1-[a-f0-9]{64}'),
  exact('groq-api-key', ['gsk_'], 'gsk_[A-Za-z0-9]{48,52}'),
  exact('xai-api-key', ['xai-'], 'xai-[A-Za-z0-9_-]{70,120}'),
  exact('perplexity-api-key', ['pplx-'], 'pplx-[A-Za-z0-9]{48}'),
  exact('replicate-api-token', ['r8_'], 'r8_[A-Za-z0-9]{37}'),
  exact('huggingface-token', ['hf_', 'api_org_'], '(?:hf|api_org)_[A-Za-z0-9]{34}'),
  exact('langsmith-api-key', ['lsv2_'], 'lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}'),

  // Google.
  exact('google-api-key', ['AIza'], 'AIza[A-Za-z0-9_-]{35}'),
  exact('google-oauth-client-secret', ['GOCSPX-'], 'GOCSPX-[A-Za-z0-9_-]{28}'),

  // Slack: api.slack.com "Token types"; webhook path is T<team>/B<bot>/<24 base62>.
  exact('slack-bot-token', ['xoxb-'], String.raw`xoxb-\d{8,14}-(?:\d{8,14}-[A-Za-z0-9]{20,40}|[A-Za-z0-9]{18,26})`),
  exact('slack-user-token', ['xoxp-', 'xoxe-'], String.raw`xox[pe]-\d{8,14}-\d{8,14}-\d{8,14}-[A-Za-z0-9]{28,34}`),
  exact('slack-legacy-token', ['xoxa-', 'xoxr-', 'xoxo-', 'xoxs-'], String.raw`xox[ar]-(?:\d-)?[A-Za-z0-9-]{20,200}|xox[os]-\d{1,20}-\d{1,20}-\d{1,20}-[a-fA-F0-9]{16,64}`),
  exact('slack-app-token', ['xapp-'], String.raw`xapp-\d-[A-Z0-9]{8,14}-\d{8,14}-[a-f0-9]{32,80}`),
  exact('slack-webhook-url', ['hooks.slack.com'],
    String.raw`https://hooks\.slack\.com/(?:services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}|(?:workflows|triggers)/[A-Za-z0-9/]{30,120})`,
    { starts: startsAt(['hooks.slack.com'], 'https://'.length) }),

  // Payments and messaging.
  exact('stripe-secret-key', ['sk_live_', 'sk_test_'], 'sk_(?:live|test)_[A-Za-z0-9]{20,247}', {
    score: (v) => (v.startsWith('sk_live_') ? 1 : 0.8),
  }),
  exact('stripe-restricted-key', ['rk_live_', 'rk_test_'], 'rk_(?:live|test)_[A-Za-z0-9]{20,247}', {
    score: (v) => (v.startsWith('rk_live_') ? 1 : 0.8),
  }),
  exact('stripe-webhook-secret', ['whsec_'], 'whsec_[A-Za-z0-9]{32,64}'),
  exact('sendgrid-api-key', ['SG.'], String.raw`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`),
  // Twilio: an API Key SID (SK…) pairs with a secret; an Account SID (AC…) is an identifier.
  exact('twilio-api-key', ['SK'], 'SK[0-9a-f]{32}', { score: 0.8 }),
  exact('twilio-account-sid', ['AC'], 'AC[0-9a-f]{32}', { score: 0.5, warnOnly: true }),
  {
    id: 'twilio-auth-token',
    keywords: ['twilio'],
    anyCase: true,
    pattern: assigned(String.raw`twilio[\w.-]{0,30}`, '[a-f0-9]{32}'),
    rank: Rank.Context,
    score: 0.9,
    starts: startsAt(['twilio']),
  },
  // Mailgun: legacy `key-` + 32 hex, current private keys are 32-8-8 hex.
  exact('mailgun-api-key', ['key-', 'mailgun'], 'key-[a-f0-9]{32}|[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}', {
    // `key-…` at its keyword; `<32>-<8>-<8>` 32 characters before a dash that has another dash 9 characters on.
    starts: (at, text, limit) => {
      const keyDash = at('key-');
      if (!keyDash) return undefined;
      const starts = [...keyDash];
      for (let q = text.indexOf('-', 32); q >= 0 && starts.length <= limit; q = text.indexOf('-', q + 1)) {
        if (text.charCodeAt(q + 9) === 45) starts.push(q - 32);
      }
      return starts.length <= limit ? starts : undefined;
    },
  }),
  // Mailchimp: 32 hex + datacenter suffix.
  exact('mailchimp-api-key', ['-us'], String.raw`[a-f0-9]{32}-us\d{1,2}`, { starts: startsAt(['-us'], 32) }),
  // Discord bot tokens: base64(user id) . base64(timestamp) . HMAC; the first part must decode to a snowflake.
  exact('discord-bot-token', ['.'], String.raw`[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}`, {
    accept: (v) => /^\d{17,20}$/.test(Buffer.from(v.slice(0, v.indexOf('.')), 'base64url').toString('latin1')),
    starts: null, // its `.` is everywhere, and 24 to 28 characters in
  }),
  exact('discord-webhook-url', ['discord'], String.raw`https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,68}`, {
    starts: startsAt(['discord'], 'https://'.length, 'https://ptb.'.length, 'https://canary.'.length),
  }),
  // Telegram (core.telegram.org/bots/api): `<bot id>:<35 chars>`, also embedded in `/bot<token>/` API URLs.
  {
    id: 'telegram-bot-token',
    keywords: [':A'],
    pattern: new RegExp(String.raw`(?:(?<=/bot)|(?<![A-Za-z0-9_:-]))(?<s>\d{6,12}:A[A-Za-z0-9_-]{34})${R}`, 'gd'),
    rank: Rank.Exact,
    score: 1,
    starts: startsAt([':A'], 6, 7, 8, 9, 10, 11, 12),
  },
  exact('shopify-token', ['shpat_', 'shpca_', 'shppa_', 'shpss_'], 'shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}'),

  // Cloud and infrastructure.
  exact('digitalocean-token', ['_v1_'], 'do[por]_v1_[a-f0-9]{64}', { starts: startsAt(['_v1_'], 3) }),
  exact('heroku-api-key', ['HRKU-'], 'HRKU-AA[A-Za-z0-9_-]{58}'),
  {
    id: 'heroku-api-key',
    keywords: ['heroku'],
    anyCase: true,
    pattern: assigned(String.raw`heroku[\w.-]{0,30}`, UUID),
    rank: Rank.Context,
    score: 0.9,
    starts: startsAt(['heroku']),
  },
  // Azure storage account keys are 64 random bytes in base64 (88 chars); SAS keys 32 bytes (44 chars).
  {
    id: 'azure-storage-account-key',
    keywords: ['AccountKey='],
    pattern: /(?<![A-Za-z0-9])AccountKey=(?<s>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])/dg,
    rank: Rank.Exact,
    score: 1,
    starts: startsAt(['AccountKey=']),
  },
  {
    id: 'azure-shared-access-key',
    keywords: ['SharedAccessKey='],
    pattern: /(?<![A-Za-z0-9])SharedAccessKey=(?<s>[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])/dg,
    rank: Rank.Exact,
    score: 1,
    starts: startsAt(['SharedAccessKey=']),
  },
  // Entra ID (Azure AD) client secrets: 3 chars, a digit, `Q~`, then 31-34 chars.
  {
    id: 'azure-ad-client-secret',
    keywords: ['Q~'],
    pattern: /(?<![A-Za-z0-9_~.-])(?<s>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])/dg,
    rank: Rank.Exact,
    score: 1,
    starts: startsAt(['Q~'], 4),
  },
  // Teams: Office 365 connector URLs, and the Power Automate workflow URLs that replace them (the `sig` signs).
  exact('microsoft-teams-webhook', ['webhook.office.com', 'logic.azure.com'],
    String.raw`https://[a-z0-9-]{1,63}\.webhook\.office\.com/webhookb2/${UUID}@${UUID}/IncomingWebhook/[a-f0-9]{32}/${UUID}(?:/[A-Za-z0-9_-]{1,80})?` +
      String.raw`|https://[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}\.logic\.azure\.com(?::443)?/workflows/[a-f0-9]{32}/triggers/[A-Za-z0-9_-]{1,40}/paths/invoke\?[A-Za-z0-9_.%=&-]{0,300}?sig=[A-Za-z0-9_-]{43}`,
    { starts: null }), // the host before the keyword has no fixed length
  exact('databricks-token', ['dapi'], String.raw`dapi[a-f0-9]{32}(?:-\d)?`),
  exact('vault-token', ['hvs.', 'hvb.'], String.raw`hvs\.[A-Za-z0-9_-]{90,120}|hvb\.[A-Za-z0-9_-]{138,300}`),
  // Doppler (docs.doppler.com "Auth token formats"): dp.<kind>.<40-44 base62>.
  exact('doppler-token', ['dp.'], String.raw`dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}`),
  exact('age-secret-key', ['AGE-SECRET-KEY-1'], 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}'),

  // Observability.
  // Datadog keys have no prefix: 32 hex (API) or 40 hex (application), recognised by their variable names.
  {
    id: 'datadog-api-key',
    keywords: ['datadog', 'dd_api', 'dd-api', 'ddapi'],
    anyCase: true,
    pattern: assigned(String.raw`(?:datadog|dd)[_.-]?api[_.-]?key`, '[a-f0-9]{32}'),
    rank: Rank.Context,
    score: 0.9,
    starts: null, // `dd.api_key` holds none of the keywords
  },
  {
    id: 'datadog-app-key',
    keywords: ['datadog', 'dd_app', 'dd-app', 'ddapp'],
    anyCase: true,
    pattern: assigned(String.raw`(?:datadog|dd)[_.-]?app(?:lication)?[_.-]?key`, '[a-f0-9]{40}'),
    rank: Rank.Context,
    score: 0.9,
    starts: null, // `dd.app_key` holds none of the keywords
  },
  exact('newrelic-user-api-key', ['NRAK-'], 'NRAK-[A-Z0-9]{27}'),
  exact('newrelic-insert-key', ['NRII-'], 'NRII-[A-Za-z0-9_-]{32}'),
  exact('newrelic-license-key', ['NRAL'], '[a-f0-9]{36}NRAL', { starts: startsAt(['NRAL'], 36) }),
  // A DSN's public key only lets one send events; legacy DSNs also carry a secret key (`pub:secret@`).
  exact('sentry-dsn', ['sentry'], String.raw`https?://[a-f0-9]{32}(?::[a-f0-9]{32})?@[A-Za-z0-9.-]{0,100}sentry[A-Za-z0-9.-]{0,100}(?::\d{1,5})?/(?:[A-Za-z0-9_.-]{1,40}/)?\d{1,12}`, {
    score: (v) => (/^https?:\/\/[a-f0-9]{32}:/.test(v) ? 1 : 0.6),
    starts: null, // the keyword is in the host, after a key of either length
  }),
  exact('sentry-auth-token', ['sntrys_', 'sntryu_'], 'sntrys_eyJ[A-Za-z0-9+/=]{20,400}_[A-Za-z0-9+/]{43}|sntryu_[a-f0-9]{64}'),

  // Productivity and API tooling.
  exact('linear-api-key', ['lin_api_', 'lin_oauth_'], 'lin_api_[A-Za-z0-9]{40}|lin_oauth_[a-f0-9]{64}'),
  exact('notion-token', ['ntn_', 'secret_'], String.raw`ntn_\d{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43}`),
  exact('atlassian-api-token', ['ATATT3'], 'ATATT3[A-Za-z0-9_=-]{186}'),
  exact('postman-api-key', ['PMAK-'], 'PMAK-[a-f0-9]{24}-[a-f0-9]{34}'),
];

/** Schemes whose URLs are database or broker connection strings. */
const CONNECTION_SCHEMES = new Set([
  'postgres', 'postgresql', 'mysql', 'mariadb', 'mongodb', 'mongodb+srv', 'redis', 'rediss', 'amqp', 'amqps',
  'mssql', 'sqlserver', 'oracle', 'cockroachdb', 'clickhouse', 'nats', 'kafka', 'couchbase', 'neo4j', 'neo4j+s',
]);

/** Rule ids reported by this detector, in no particular order. */
export const SECRET_RULE_IDS: readonly string[] = [
  ...new Set([
    ...PATTERN_RULES.map((r) => r.id),
    'jwt', 'private-key', 'openssh-private-key', 'pgp-private-key', 'gcp-service-account-key',
    'connection-string-password', 'url-password', 'secret-assignment', 'high-entropy',
  ]),
];

export const secretsDetector: DetectorFactory<SecretsOptions> = (options = {}) => {
  const highEntropy = options.highEntropy ?? true;
  const disabled = new Set(options.disabledRules ?? []);
  const rules = COMPILED_RULES.filter((r) => !disabled.has(r.rule.id));
  return {
    type: 'secret',
    scan(text: string): Finding[] {
      const found: Candidate[] = [];
      const keywords = findKeywords(text);
      for (const rule of rules) {
        if (!rule.keywordIds.some((id) => keywords.has(id))) continue;
        matchRule(rule, text, keywords, found);
      }
      scanJwts(text, found);
      scanKeyBlocks(text, found);
      scanUrlPasswords(text, found);
      scanAssignments(text, found);
      if (highEntropy) scanHighEntropy(text, found);
      return keepMostSpecific(found.filter((f) => !disabled.has(f.rule))).map(toFinding);
    },
  } satisfies Detector;
};

// ---- keywords ---------------------------------------------------------------------------------------------------

// All the rules' keywords are found in one pass over the text rather than one search each: a keyword is filed under
// its first two characters (in every ASCII case for `anyCase` ones) with a bit for its third, so most positions cost
// one table look-up. Keywords the table cannot hold (one character, non-ASCII) are searched for whole.

interface Keyword {
  id: number;
  text: string;
  anyCase: boolean;
  /** Found by the one pass; otherwise by searching the whole text (and then with no positions). */
  inTable: boolean;
}

const KEYWORDS: Keyword[] = [];
const KEYWORD_IDS = new Map<string, number>();
/** Table keywords by their first two characters, `c0 << 7 | c1`. */
const BY_PAIR: Keyword[][] = [];
const NO_KEYWORDS: readonly Keyword[] = [];
/** Per pair, a bit (`1 << (c & 31)`) for each of its keywords' third character; every bit for two-character ones. */
const THIRD = new Uint32Array(1 << 14);

function keywordId(text: string, anyCase: boolean): number {
  const key = `${anyCase ? 'i' : 's'}:${text}`;
  let id = KEYWORD_IDS.get(key);
  if (id !== undefined) return id;
  id = KEYWORDS.length;
  // An upper-case `anyCase` keyword never occurs in lower-cased text: the whole-text search keeps that so.
  const inTable = text.length >= 2 && /^[ -~]+$/.test(text) && (!anyCase || text === text.toLowerCase());
  const keyword = { id, text, anyCase, inTable };
  KEYWORDS.push(keyword);
  KEYWORD_IDS.set(key, id);
  if (inTable) {
    const firsts = anyCase ? [...new Set([text.slice(0, 2), text.slice(0, 2).toUpperCase(), text.charAt(0).toUpperCase() + text.charAt(1), text.charAt(0) + text.charAt(1).toUpperCase()])] : [text.slice(0, 2)];
    for (const two of firsts) {
      const pair = (two.charCodeAt(0) << 7) | two.charCodeAt(1);
      (BY_PAIR[pair] ??= []).push(keyword);
      THIRD[pair] = (THIRD[pair] ?? 0) | (text.length === 2 ? 0xffffffff : 1 << (text.charCodeAt(2) & 31)); // a letter's cases share a bit
    }
  }
  return id;
}

/** Which keywords a text holds, and where. */
interface KeywordHits {
  has(id: number): boolean;
  /** Positions of a keyword, ascending; undefined for one the pass does not look for. */
  at(id: number): readonly number[] | undefined;
}

const NO_POSITIONS: readonly number[] = [];

function findKeywords(text: string): KeywordHits {
  const positions: (number[] | undefined)[] = [];
  const last = text.length - 1;
  // Characters are cut to 7 bits for the look-up only: `keywordAt` compares the real ones.
  let c0 = text.charCodeAt(0) & 127;
  for (let i = 0; i < last; i++) {
    const c1 = text.charCodeAt(i + 1) & 127;
    const pair = (c0 << 7) | c1;
    c0 = c1;
    const third = THIRD[pair] ?? 0;
    if (third === 0 || ((third >>> (text.charCodeAt(i + 2) & 31)) & 1) === 0) continue;
    for (const k of BY_PAIR[pair] ?? NO_KEYWORDS) if (keywordAt(text, k, i)) (positions[k.id] ??= []).push(i);
  }
  let lower: string | undefined;
  let foldsToAscii: boolean | undefined;
  return {
    has(id) {
      const k = KEYWORDS[id];
      if (!k) return false;
      if (k.inTable) {
        if (positions[id]) return true;
        if (!k.anyCase) return false;
        // Lower-casing turns only U+0130 (into `i` and a combining dot) and the Kelvin sign into ASCII letters:
        // without them, a keyword the ASCII comparison missed is not in the lower-cased text either.
        if (!(foldsToAscii ??= text.includes('\u0130') || text.includes('\u212a'))) return false;
      }
      return k.anyCase ? (lower ??= text.toLowerCase()).includes(k.text) : text.includes(k.text);
    },
    at: (id) => (KEYWORDS[id]?.inTable ? (positions[id] ?? NO_POSITIONS) : undefined),
  };
}

/** `text` holds the keyword at `at` (in any ASCII case when `anyCase`; the keyword is then lower-case). */
function keywordAt(text: string, { text: keyword, anyCase }: Keyword, at: number): boolean {
  for (let j = 0; j < keyword.length; j++) {
    const c = text.charCodeAt(at + j);
    if ((anyCase && c >= 65 && c <= 90 ? c | 32 : c) !== keyword.charCodeAt(j)) return false;
  }
  return true;
}

// ---- pattern rules ----------------------------------------------------------------------------------------------

interface CompiledRule {
  rule: PatternRule;
  keywordIds: readonly number[];
  idOf: ReadonlyMap<string, number>;
  /** The pattern, sticky: tried at each of the rule's `starts` only. */
  sticky?: RegExp;
}

const COMPILED_RULES: readonly CompiledRule[] = PATTERN_RULES.map((rule) => ({
  rule,
  keywordIds: rule.keywords.map((k) => keywordId(k, rule.anyCase ?? false)),
  idOf: new Map(rule.keywords.map((k) => [k, keywordId(k, rule.anyCase ?? false)])),
  ...(rule.starts ? { sticky: new RegExp(rule.pattern.source, `${rule.pattern.flags.replace('g', '')}y`) } : {}),
}));

/** Above this many candidate starts per character, one search of the whole text is cheaper than a try at each. */
const STARTS_PER_CHAR = 1 / 256;

function matchRule({ rule, idOf, sticky }: CompiledRule, text: string, keywords: KeywordHits, out: Candidate[]): void {
  const at: KeywordAt = (keyword) => {
    const id = idOf.get(keyword);
    return id === undefined ? undefined : keywords.at(id);
  };
  const starts = sticky && rule.starts?.(at, text, Math.ceil(text.length * STARTS_PER_CHAR));
  if (!sticky || !starts) {
    const re = rule.pattern;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) addMatch(rule, text, m, out);
    return;
  }
  // The first match at or after the end of the previous one, as the global search finds it.
  let from = 0;
  for (const start of starts.sort((a, b) => a - b)) {
    if (start < from || start > text.length) continue;
    sticky.lastIndex = start;
    const m = sticky.exec(text);
    if (!m) continue;
    from = start + m[0].length;
    addMatch(rule, text, m, out);
  }
}

function addMatch(rule: PatternRule, text: string, m: RegExpExecArray, out: Candidate[]): void {
  const span = m.indices?.groups?.s ?? m.indices?.[0];
  if (!span) return;
  const value = text.slice(span[0], span[1]);
  if (isFiller(value)) return;
  if (rule.accept && !rule.accept(value)) return;
  out.push({
    type: 'secret',
    rule: rule.id,
    start: span[0],
    end: span[1],
    score: typeof rule.score === 'function' ? rule.score(value) : rule.score,
    rank: rule.rank,
    ...(rule.warnOnly ? { warnOnly: true } : {}),
  });
}

/** A run of one character, or a body of very few distinct characters: a placeholder, not a key. */
function isFiller(value: string): boolean {
  if (/(.)\1{7,}/.test(value)) return true;
  return value.length >= 16 && new Set(value).size < 8;
}

/**
 * `text.indexOf(literal, from)`, searching for the literal's tail from `skip` on, then checking its head: a search
 * stops at each occurrence of the first character, and `e` or `-` are everywhere.
 */
function indexOfVia(text: string, literal: string, skip: number, from: number): number {
  const tail = literal.slice(skip);
  for (let at = text.indexOf(tail, from + skip); at >= 0; at = text.indexOf(tail, at + 1)) {
    if (text.startsWith(literal.slice(0, skip), at - skip)) return at - skip;
  }
  return -1;
}

// ---- JWTs -------------------------------------------------------------------------------------------------------

const isB64UrlChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;

/** `header.payload.signature` (or a 5-part JWE) whose header decodes to JSON with an `alg`. */
function scanJwts(text: string, out: Candidate[]): void {
  let at = indexOfVia(text, 'eyJ', 1, 0);
  while (at >= 0) {
    if (at > 0 && isB64UrlChar(text.charCodeAt(at - 1))) {
      at = indexOfVia(text, 'eyJ', 1, at + 3);
      continue;
    }
    // Walk the whole dotted run once, then continue after it: linear however many `eyJ` it holds.
    let end = at;
    while (end < text.length && (isB64UrlChar(text.charCodeAt(end)) || text.charCodeAt(end) === 46)) end++;
    let run = text.slice(at, end);
    if (run.endsWith('.')) run = run.slice(0, -1); // a sentence's full stop
    const parts = run.split('.');
    const [header = '', payload = '', signature = ''] = parts;
    // JWS: a payload and (unless `alg: none`) a signature; JWE: 5 parts, the 4th the ciphertext.
    const shaped =
      (parts.length === 3 && payload.length >= 2) || (parts.length === 5 && (parts[3] ?? '').length > 0);
    const alg = shaped ? jwtAlg(header) : undefined;
    if (alg !== undefined && (parts.length === 5 || alg === 'none' || signature.length >= 16)) {
      out.push({ type: 'secret', rule: 'jwt', start: at, end: at + run.length, score: 1, rank: Rank.Exact });
    }
    at = indexOfVia(text, 'eyJ', 1, Math.max(end, at + 3));
  }
}

function jwtAlg(header: string): string | undefined {
  if (header.length > 2000) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'alg' in parsed && typeof parsed.alg === 'string') return parsed.alg;
  } catch {
    // Not JSON: an `eyJ…` that merely looks like a JWT header.
    return undefined;
  }
  return undefined;
}

// ---- PEM / OpenSSH / PGP private key blocks ---------------------------------------------------------------------

const KEY_LABEL = /^(?:(RSA|EC|DSA|ENCRYPTED|OPENSSH|PGP) )?PRIVATE KEY( BLOCK)?$/;
const LINE_BREAK = /\\r\\n|\\n|\r?\n/; // real newlines, or escaped ones inside JSON strings

function scanKeyBlocks(text: string, out: Candidate[]): void {
  // Per label, the END marker last found (or -1: none after that point). Later BEGINs reuse it instead of
  // searching again, which keeps many BEGINs before one END (or none) linear.
  const endOf = new Map<string, number>();
  let from = 0;
  for (;;) {
    const begin = indexOfVia(text, '-----BEGIN ', 5, from);
    if (begin < 0) return;
    const labelStart = begin + 11;
    const labelEnd = text.indexOf('-----', labelStart);
    if (labelEnd < 0) return;
    const label = text.slice(labelStart, labelEnd);
    const kind = labelEnd - labelStart <= 40 ? KEY_LABEL.exec(label) : null;
    if (!kind) {
      from = labelStart;
      continue;
    }
    const endMarker = `-----END ${label}-----`;
    let end = endOf.get(label);
    if (end === undefined || (end >= 0 && end < labelEnd + 5)) {
      end = text.indexOf(endMarker, labelEnd + 5);
      endOf.set(label, end);
    }
    if (end < 0) {
      from = labelStart;
      continue;
    }
    if (isKeyBody(text.slice(labelEnd + 5, end))) {
      const blockEnd = end + endMarker.length;
      out.push({ type: 'secret', rule: keyBlockRule(text, begin, kind[1]), start: begin, end: blockEnd, score: 1, rank: Rank.Exact });
      from = blockEnd;
    } else {
      from = labelStart;
    }
  }
}

/** Base64 lines (after optional `Name: value` headers) of a plausible size; `...` or `<key>` are placeholders. */
function isKeyBody(body: string): boolean {
  const data = body
    .split(LINE_BREAK)
    .filter((line) => !line.includes(':'))
    .join('')
    .replace(/\s+/g, '');
  return data.length >= 64 && /^[A-Za-z0-9+/=]+$/.test(data);
}

function keyBlockRule(text: string, begin: number, kind: string | undefined): string {
  if (kind === 'OPENSSH') return 'openssh-private-key';
  if (kind === 'PGP') return 'pgp-private-key';
  // A Google service-account JSON holds its PEM in `"private_key": "-----BEGIN…"`.
  const before = text.slice(Math.max(0, begin - 40), begin);
  if (/"private_key"\s*:\s*"$/.test(before) && text.includes('service_account')) return 'gcp-service-account-key';
  return 'private-key';
}

// ---- passwords in URLs ------------------------------------------------------------------------------------------

const isSchemeChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 45 || c === 46;
/** Ends the authority part of a URL. Not `#`: passwords often hold one unescaped. */
const URL_AUTHORITY_END = /[\s/?"'`<>\\]/;

/** `scheme://user:password@host`: only the password is the span. */
function scanUrlPasswords(text: string, out: Candidate[]): void {
  let at = text.indexOf('://');
  while (at >= 0) {
    let s = at;
    while (s > 0 && at - s < 30 && isSchemeChar(text.charCodeAt(s - 1))) s--;
    const scheme = text.slice(s, at).toLowerCase().replace(/^[^a-z]+/, '');
    const authorityStart = at + 3;
    let e = authorityStart;
    while (e < text.length && e - authorityStart < 512 && !URL_AUTHORITY_END.test(text.charAt(e))) e++;
    const authority = text.slice(authorityStart, e);
    // The last `@` splits userinfo from host, so an unescaped `@` inside a password stays in the password.
    const atSign = authority.lastIndexOf('@');
    const colon = authority.indexOf(':');
    if (scheme && colon >= 0 && colon < atSign) {
      const password = authority.slice(colon + 1, atSign);
      if (!isPlaceholder(password)) {
        const connection = CONNECTION_SCHEMES.has(scheme);
        out.push({
          type: 'secret',
          rule: connection ? 'connection-string-password' : 'url-password',
          start: authorityStart + colon + 1,
          end: authorityStart + atSign,
          score: connection ? 0.95 : 0.8,
          rank: Rank.Generic,
        });
      }
    }
    at = text.indexOf('://', at + 3);
  }
}

/** Values that stand for a secret rather than being one. */
const PLACEHOLDER_WORDS = new Set([
  'password', 'passwd', 'pass', 'pwd', 'secret', 'changeme', 'change-me', 'change_me', 'changeit', 'example', 'sample',
  'placeholder', 'redacted', 'dummy', 'none', 'null', 'nil', 'undefined', 'true', 'false', 'yourpassword',
  'your_password', 'your-password', 'mypassword', 'my_password', 'my-password', 'your_api_key', 'your-api-key',
  'yourapikey', 'api_key', 'apikey', 'token', 'your_token', 'secret_key', 'test', 'todo', 'tbd', 'fixme',
]);

function isPlaceholder(value: string): boolean {
  if (value.length === 0) return true;
  if (PLACEHOLDER_WORDS.has(value.toLowerCase())) return true;
  return (
    /^(?:\*+|x+|X+|\.+|…|-+|_+|#+|0+)$/.test(value) || // masked or elided
    /^<[^>]*>$/.test(value) || // <password>
    /^\[[^\]]*\]$/.test(value) || // [password]
    /^\$\{[^}]*\}$/.test(value) || // ${VAR}
    /^\$\{\{.*\}\}$/.test(value) || // ${{ secrets.X }}
    /^\{\{.*\}\}$/.test(value) || // {{ var }}
    /^\$\(.*\)$/.test(value) || // $(cmd)
    /^\$[A-Za-z_]\w*$/.test(value) || // $VAR
    /^%[A-Za-z_]\w*%$/.test(value) || // %VAR%
    /^%\([^)]*\)s$/.test(value) || // %(name)s
    /^:[A-Za-z_]\w*$/.test(value) || // :name bind parameter
    /example|placeholder|changeme|redacted|\byour[_-]/i.test(value)
  );
}

// ---- `key = value` assignments ----------------------------------------------------------------------------------

/** Key names (lower-cased, without `_.-`) that hold a secret when they end with one of these. */
const SECRET_KEY_SUFFIXES = [
  'password', 'passwd', 'pwd', 'passphrase', 'secret', 'token', 'apikey', 'accesskey', 'secretkey', 'privatekey',
  'authkey', 'signingkey', 'masterkey', 'accountkey', 'encryptionkey', 'credential', 'credentials',
];
/** The last characters of the suffixes: a key ending in anything else is passed over at once. */
const SUFFIX_ENDS = new Uint8Array(128);
for (const suffix of SECRET_KEY_SUFFIXES) SUFFIX_ENDS[suffix.charCodeAt(suffix.length - 1)] = 1;

const isKeyChar = (c: number): boolean => isB64UrlChar(c) || c === 46; // [\w.-]
const isKeyStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; // [A-Za-z_]
const isWordOrDot = (c: number): boolean => isKeyChar(c) && c !== 45; // [\w.]

/**
 * A key name (optionally quoted) followed by `=`, `:`, `:=` or `=>`: the matches of the global regex
 * `(?<![\w.])(["']?)([A-Za-z_][\w.-]{0,63})\1[ \t]*(?:=>|:=|=|:)[ \t]*`, found from each separator backwards
 * (most separators follow a key that names no secret, which its last letter shows) instead of from every word.
 */
function scanAssignments(text: string, out: Candidate[]): void {
  let colon = text.indexOf(':');
  let equals = text.indexOf('=');
  while (colon >= 0 || equals >= 0) {
    let sep: number;
    if (equals < 0 || (colon >= 0 && colon < equals)) {
      sep = colon;
      colon = text.indexOf(':', colon + 1);
    } else {
      sep = equals;
      equals = text.indexOf('=', equals + 1);
    }
    const keyAt = keyBefore(text, sep);
    if (!keyAt) continue;
    const key = text.slice(keyAt.start, keyAt.end).toLowerCase().replace(/[_.-]/g, '');
    if (!SECRET_KEY_SUFFIXES.some((suffix) => key.endsWith(suffix))) continue;
    const twoCharSep = text.charCodeAt(sep + 1) === (text.charCodeAt(sep) === 61 ? 62 : 61); // `=>` or `:=`
    let at = sep + (twoCharSep ? 2 : 1);
    while (text.charCodeAt(at) === 32 || text.charCodeAt(at) === 9) at++;
    const value = readValue(text, at);
    if (!value) continue;
    const v = text.slice(value.start, value.end);
    if (text.charAt(value.end) === '(' || !looksLikeSecretValue(v)) continue; // a call: token = makeToken(user)
    out.push({ type: 'secret', rule: 'secret-assignment', start: value.start, end: value.end, score: 0.7, rank: Rank.Generic });
  }
}

/**
 * The key the assignment regex above matches before the separator at `sep`, if its last letter may end a secret's
 * name. A key is the tail of a run of `[\w.-]` that starts the run or follows a `-` (not a word character or `.`),
 * starts with `[A-Za-z_]` and is at most 64 long; the earliest such start wins. A quoted key must be the whole run,
 * its opening quote matching the closing one and not following a word character or `.`.
 */
function keyBefore(text: string, sep: number): { start: number; end: number } | undefined {
  let end = sep;
  while (end > 0 && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  const quote = text.charCodeAt(end - 1);
  const quoted = quote === 34 || quote === 39;
  if (quoted) end--;
  let last = end - 1;
  while (last >= 0 && (text.charCodeAt(last) === 95 || text.charCodeAt(last) === 46 || text.charCodeAt(last) === 45)) last--;
  const c = text.charCodeAt(last);
  if (SUFFIX_ENDS[c >= 65 && c <= 90 ? c | 32 : c] !== 1) return undefined;
  // Back to the start of the run, or 64 characters (a longer key never matches from there).
  let from = end;
  while (from > 0 && end - from < 64 && isKeyChar(text.charCodeAt(from - 1))) from--;
  const runStart = from === 0 || !isKeyChar(text.charCodeAt(from - 1)) ? from : -1;
  if (quoted) {
    const ok =
      runStart >= 1 &&
      runStart < end &&
      isKeyStart(text.charCodeAt(runStart)) &&
      text.charCodeAt(runStart - 1) === quote &&
      (runStart === 1 || !isWordOrDot(text.charCodeAt(runStart - 2)));
    return ok ? { start: runStart, end } : undefined;
  }
  for (let s = from; s < end; s++) {
    if ((s === runStart || text.charCodeAt(s - 1) === 45) && isKeyStart(text.charCodeAt(s))) return { start: s, end };
  }
  return undefined;
}

const BARE_VALUE = /[^\s,;'"`{}()[\]<>&]{1,300}/y;

/** The value after an assignment: a quoted string on one line, or a bare word. */
function readValue(text: string, at: number): { start: number; end: number } | undefined {
  const quote = text.charAt(at);
  if (quote === '"' || quote === "'" || quote === '`') {
    let e = at + 1;
    while (e < text.length && e - at <= 300 && text.charAt(e) !== quote && text.charAt(e) !== '\n') e++;
    return text.charAt(e) === quote ? { start: at + 1, end: e } : undefined;
  }
  BARE_VALUE.lastIndex = at;
  const bare = BARE_VALUE.exec(text);
  return bare ? { start: at, end: at + bare[0].length } : undefined;
}

function looksLikeSecretValue(v: string): boolean {
  if (v.length < 8 || v.length > 256 || isPlaceholder(v)) return false;
  if (/\s/.test(v)) return false; // prose, not a credential
  if (/^(?:\/|\.{1,2}\/|~\/|[A-Za-z][\w+.-]*:\/\/)/.test(v)) return false; // a path or URL (URLs have their own rule)
  if (/^[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+(?:$|[?|&!:])/.test(v)) return false; // code: cfg.db.password ?? x
  if (/^[A-Z][A-Z0-9_]*$/.test(v)) return false; // a constant or env var name
  if (/^[A-Za-z][a-z]+(?:[A-Z][a-z]+)+$/.test(v)) return false; // a type or identifier: PasswordHash, secretValue
  if (/^[a-z]+(?:[-_][a-z]+)*$/.test(v)) return false; // a name: my-app-secret
  if (/^\d+$/.test(v)) return false; // a count or id
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((c) => c.test(v)).length;
  return classes >= 2 && shannonEntropy(v) >= 3;
}

// ---- generic high entropy ---------------------------------------------------------------------------------------

/** Per ASCII character: a bit for each class the high-entropy scan looks at. */
const IS_ENTROPY_CHAR = 1;
const IS_LOWER = 2;
const IS_UPPER = 4;
const IS_DIGIT = 8;
const CHAR_CLASSES = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const entropyChar = isB64UrlChar(c) || c === 43 || c === 47 ? IS_ENTROPY_CHAR : 0;
  CHAR_CLASSES[c] = entropyChar | (c >= 97 && c <= 122 ? IS_LOWER : 0) | (c >= 65 && c <= 90 ? IS_UPPER : 0) | (c >= 48 && c <= 57 ? IS_DIGIT : 0);
}
const ALL_CLASSES = IS_ENTROPY_CHAR | IS_LOWER | IS_UPPER | IS_DIGIT;
const isEntropyChar = (c: number): boolean => c < 128 && ((CHAR_CLASSES[c] ?? 0) & IS_ENTROPY_CHAR) !== 0;

/** Shorter runs (with their padding) are not reported. */
const MIN_RUN = 20;
/** Characters before the padding (up to two `=`) that a reported run has at least. */
const MIN_UNPADDED = MIN_RUN - 2;

/** Counts of each character of the run being measured (all ASCII), and the order they first occur in. */
const runCounts = new Uint16Array(128);
const runOrder = new Uint8Array(128);

/** Long random-looking runs (mixed case and digits): recorded warn-only, since they may be hashes or ids. */
function scanHighEntropy(text: string, out: Candidate[]): void {
  // A run long enough to report covers one of every MIN_UNPADDED positions: only those are looked at, and the run
  // around one found from there (a short run ends before the next probe, a long one is passed whole).
  for (let probe = MIN_UNPADDED - 1; probe < text.length; probe += MIN_UNPADDED) {
    if (!isEntropyChar(text.charCodeAt(probe))) continue;
    let start = probe;
    while (start > 0 && isEntropyChar(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < text.length && isEntropyChar(text.charCodeAt(end))) end++;
    while (probe + MIN_UNPADDED < end) probe += MIN_UNPADDED;
    const runEnd = end;
    // `=` only as base64 padding, so `KEY=value` stays two runs.
    for (let pad = 0; pad < 2 && text.charCodeAt(end) === 61; pad++) end++;
    const len = end - start;
    if (len < MIN_RUN || len > 512) continue; // longer runs are data blobs (images, bundles), not credentials
    let classes = 0;
    for (let i = start; i < runEnd; i++) classes |= CHAR_CLASSES[text.charCodeAt(i)] ?? 0;
    if (classes !== ALL_CLASSES) continue; // hex, UUIDs, words
    if (/^sha(?:1|256|384|512)-/.test(text.slice(start, start + 7))) continue; // SRI / lockfile integrity
    if ((start >= 7 && text.startsWith('base64,', start - 7)) || (start >= 3 && text.startsWith('h1:', start - 3))) continue; // data: URLs, go.sum hashes
    if (runEntropy(text, start, end) < Math.min(4.2, Math.log2(len) - 0.6)) continue;
    out.push({ type: 'secret', rule: 'high-entropy', start, end, score: 0.3, warnOnly: true, rank: Rank.Entropy });
  }
}

/** `shannonEntropy(text.slice(start, end))` for an ASCII run, without the slice or a Map (same sums, same order). */
function runEntropy(text: string, start: number, end: number): number {
  let distinct = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const seen = runCounts[c] ?? 0;
    if (seen === 0) runOrder[distinct++] = c;
    runCounts[c] = seen + 1;
  }
  const len = end - start;
  let bits = 0;
  for (let k = 0; k < distinct; k++) {
    const c = runOrder[k]!;
    const p = runCounts[c]! / len;
    bits -= p * Math.log2(p);
    runCounts[c] = 0;
  }
  return bits;
}

/** Bits per character. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

// ---- overlaps ---------------------------------------------------------------------------------------------------

/**
 * Drops findings that overlap a more specific one. Candidates are grouped into clusters of transitively overlapping
 * spans (almost always of size one), and each cluster keeps its best candidates greedily.
 */
function keepMostSpecific(candidates: Candidate[]): Candidate[] {
  const byStart = [...candidates].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Candidate[] = [];
  let cluster: Candidate[] = [];
  let clusterEnd = -1;
  const flush = (): void => {
    if (cluster.length === 1) kept.push(...cluster);
    else if (cluster.length > 1) {
      const chosen: Candidate[] = [];
      cluster.sort((a, b) => b.rank - a.rank || b.end - b.start - (a.end - a.start) || b.score - a.score || a.start - b.start);
      for (const c of cluster) if (!chosen.some((k) => c.start < k.end && k.start < c.end)) chosen.push(c);
      kept.push(...chosen.sort((a, b) => a.start - b.start));
    }
    cluster = [];
  };
  for (const c of byStart) {
    if (c.start >= clusterEnd) {
      flush();
      clusterEnd = c.end;
    } else {
      clusterEnd = Math.max(clusterEnd, c.end);
    }
    cluster.push(c);
  }
  flush();
  return kept;
}

function toFinding({ rank: _rank, ...finding }: Candidate): Finding {
  return finding;
}
