// Tests of the secrets detector: one true positive and near-miss false positives per rule, spans, overlaps,
// benign real-world inputs, and adversarial megabytes.
//
// Every fake credential is assembled at run time from a seeded generator, so no token-shaped literal sits in the
// repository for push protection (or a reader) to mistake for a real one.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SECRET_RULE_IDS, secretsDetector, shannonEntropy } from './secrets.js';
import type { Finding } from './types.js';

const detector = secretsDetector();
const scan = (text: string): Finding[] => detector.scan(text);

// ---- fake values ------------------------------------------------------------------------------------------------

/** mulberry32: deterministic, so a failure reproduces. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(7);
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const URLSAFE = ALNUM + '_-';
const HEX = '0123456789abcdef';
const pick = (alphabet: string, n: number): string =>
  Array.from({ length: n }, () => alphabet.charAt(Math.floor(random() * alphabet.length))).join('');
/** Random text of one alphabet that still has every class (so it is never mistaken for filler). */
const fake = (alphabet: string, n: number): string => {
  for (;;) {
    const s = pick(alphabet, n);
    if (new Set(s).size >= Math.min(8, Math.ceil(n / 2), new Set(alphabet).size)) return s;
  }
};
const uuid = (): string => `${fake(HEX, 8)}-${fake(HEX, 4)}-4${fake(HEX, 3)}-a${fake(HEX, 3)}-${fake(HEX, 12)}`;
const b64url = (s: string): string => Buffer.from(s).toString('base64url');
const pemBody = (lines: number): string => Array.from({ length: lines }, () => fake(ALNUM + '+/', 64)).join('\n');
const pem = (label: string, body: string): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
const password = (): string => `${fake(ALNUM, 6)}#${fake(ALNUM, 5)}!${fake(DIGITS, 2)}`;

// ---- per-rule cases ---------------------------------------------------------------------------------------------

interface Case {
  rule: string;
  /** Text holding the secret, and the part of it the finding must cover exactly. */
  text: string;
  span: string;
  /** Near misses: none may be reported under `rule`, nor acted on under any exact-format rule. */
  nearMisses: string[];
}

/** `text` is the secret itself, padded with prose. */
const plain = (rule: string, secret: string, nearMisses: string[]): Case => ({
  rule,
  text: `use ${secret} for this`,
  span: secret,
  nearMisses: nearMisses.map((m) => `use ${m} for this`),
});

const githubCases = (['ghp', 'gho', 'ghu', 'ghs', 'ghr'] as const).map((prefix) =>
  plain(
    { ghp: 'github-pat', gho: 'github-oauth-token', ghu: 'github-app-user-token', ghs: 'github-app-installation-token', ghr: 'github-refresh-token' }[prefix],
    `${prefix}_${fake(ALNUM, 36)}`,
    [`${prefix}_${fake(ALNUM, 35)}`, `${prefix}_${fake(ALNUM, 37)}`, `${prefix}x${fake(ALNUM, 36)}`, `${prefix}_${'X'.repeat(36)}`],
  ),
);

const jwtHeader = b64url('{"alg":"HS256","typ":"JWT"}');
const jwtPayload = b64url('{"sub":"1234567890","name":"Jo","iat":1700000000}');
const jwt = `${jwtHeader}.${jwtPayload}.${fake(URLSAFE, 43)}`;
const snowflake = `1${fake(DIGITS, 17)}`;
const sentryOrgToken = `sntrys_${Buffer.from('{"iat":1700000000.1,"url":"https://sentry.io","region_url":"https://us.sentry.io","org":"acme"}').toString('base64').replace(/=+$/, '')}_${fake(ALNUM, 43)}`;
const rsaKey = pem('RSA PRIVATE KEY', pemBody(6));
const serviceAccountKey = `-----BEGIN PRIVATE KEY-----\\n${pemBody(6).replace(/\n/g, '\\n')}\\n-----END PRIVATE KEY-----`;
const dbPassword = password();

const CASES: Case[] = [
  plain('aws-access-key-id', `AKIA${fake('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`, [
    `AKIA${fake(UPPER, 15)}`,
    `AKIB${fake(UPPER, 16)}`,
    ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join(''), // AWS's documented example key
  ]),
  (() => {
    const key = fake(ALNUM + '/+', 40);
    return {
      rule: 'aws-secret-access-key',
      text: `[default]\naws_access_key_id = AKIA${fake('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}\naws_secret_access_key = ${key}\n`,
      span: key,
      nearMisses: [`aws_region = ${fake(ALNUM, 40)}`, `aws_secret_access_key = ${['wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCY', 'EXAMPLEKEY'].join('')}`],
    };
  })(),
  ...githubCases,
  plain('github-fine-grained-pat', `github_pat_${fake(ALNUM, 22)}_${fake(ALNUM, 59)}`, [`github_pat_${fake(ALNUM, 40)}`]),
  plain('gitlab-pat', `glpat-${fake(URLSAFE, 20)}`, [`glpat-${fake(ALNUM, 19)}`, 'glpat-XXXXXXXXXXX-XXXXXXXX']),
  plain('gitlab-pat', `glpat-${fake(URLSAFE, 36)}.01${fake(LOWER + DIGITS, 7)}`, [`glpat-${fake(ALNUM, 36)}.0`]),
  plain('gitlab-deploy-token', `gldt-${fake(URLSAFE, 20)}`, [`gldt-${fake(ALNUM, 19)}`]),
  plain('gitlab-runner-token', `glrt-${fake(URLSAFE, 20)}`, [`glrt-${fake(ALNUM, 19)}`]),
  plain('gitlab-runner-token', `GR1348941${fake(URLSAFE, 20)}`, [`GR1348941${fake(ALNUM, 12)}`]),
  plain('gitlab-trigger-token', `glptt-${fake(HEX, 40)}`, [`glptt-${fake(HEX, 39)}`]),
  plain('gitlab-token', `glft-${fake(URLSAFE, 20)}`, [`glfx-${fake(ALNUM, 20)}`]),
  plain('npm-token', `npm_${fake(ALNUM, 36)}`, [`npm_${fake(ALNUM, 35)}`]),
  plain('pypi-token', `pypi-AgEIcHlwaS5vcmc${fake(URLSAFE, 150)}`, [`pypi-AgEIcHlwaS5vcmc${fake(ALNUM, 20)}`, `pypi-AgEIcHlwaS5vcmX${fake(ALNUM, 150)}`]),
  plain('openai-api-key', `sk-proj-${fake(URLSAFE, 156)}`, ['sk-...', `sk-proj-${fake(ALNUM, 30)}`, `sk-${fake(ALNUM, 48)}`]),
  plain('openai-api-key', `sk-${fake(ALNUM, 20)}T3BlbkFJ${fake(ALNUM, 20)}`, [`sk-${fake(ALNUM, 19)}T3BlbkFJ${fake(ALNUM, 20)}`]),
  plain('anthropic-api-key', `sk-ant-api03-${fake(URLSAFE, 93)}AA`, [`sk-ant-api03-${fake(ALNUM, 93)}BB`, `sk-ant-api03-${fake(ALNUM, 92)}AA`, 'sk-ant-...']),
  plain('anthropic-admin-key', `sk-ant-admin01-${fake(URLSAFE, 93)}AA`, [`sk-ant-admin01-${fake(ALNUM, 90)}AA`]),
  plain('openrouter-api-key', `sk-or-v1-${fake(HEX, 64)}`, [`sk-or-v1-${fake(HEX, 63)}`]),
  plain('groq-api-key', `gsk_${fake(ALNUM, 52)}`, [`gsk_${fake(ALNUM, 40)}`, `gsk_${fake(ALNUM, 53)}`]),
  plain('xai-api-key', `xai-${fake(ALNUM, 80)}`, [`xai-${fake(ALNUM, 40)}`]),
  plain('perplexity-api-key', `pplx-${fake(ALNUM, 48)}`, [`pplx-${fake(ALNUM, 47)}`]),
  plain('replicate-api-token', `r8_${fake(ALNUM, 37)}`, [`r8_${fake(ALNUM, 30)}`, `r9_${fake(ALNUM, 37)}`]),
  plain('huggingface-token', `hf_${fake(ALNUM, 34)}`, [`hf_${fake(ALNUM, 33)}`]),
  plain('langsmith-api-key', `lsv2_pt_${fake(HEX, 32)}_${fake(HEX, 10)}`, [`lsv2_xx_${fake(HEX, 32)}_${fake(HEX, 10)}`]),
  plain('google-api-key', `AIza${fake(URLSAFE, 35)}`, [`AIza${fake(ALNUM, 34)}`, `AIzb${fake(ALNUM, 35)}`]),
  plain('google-oauth-client-secret', `GOCSPX-${fake(URLSAFE, 28)}`, [`GOCSPX-${fake(ALNUM, 27)}`]),
  plain('slack-bot-token', `xoxb-${fake(DIGITS, 12)}-${fake(DIGITS, 13)}-${fake(ALNUM, 24)}`, ['xoxb-123-456-abc', `xoxb-${fake(ALNUM, 30)}`]),
  plain('slack-user-token', `xoxp-${fake(DIGITS, 12)}-${fake(DIGITS, 12)}-${fake(DIGITS, 13)}-${fake(HEX, 32)}`, [`xoxp-${fake(DIGITS, 12)}-${fake(HEX, 32)}`]),
  plain('slack-legacy-token', `xoxa-2-${fake(ALNUM, 60)}`, [`xoxa-${fake(ALNUM, 10)}`]),
  plain('slack-app-token', `xapp-1-A${fake(UPPER + DIGITS, 10)}-${fake(DIGITS, 13)}-${fake(HEX, 64)}`, [`xapp-1-${fake(LOWER, 10)}`]),
  plain('slack-webhook-url', `https://hooks.slack.com/services/T${fake(UPPER + DIGITS, 8)}/B${fake(UPPER + DIGITS, 10)}/${fake(ALNUM, 24)}`, [
    `https://hooks.slack.com/services/T${fake(UPPER + DIGITS, 8)}/B${fake(UPPER + DIGITS, 10)}/${fake(ALNUM, 23)}`,
  ]),
  plain('stripe-secret-key', `sk_live_${fake(ALNUM, 99)}`, [`pk_live_${fake(ALNUM, 99)}`, `sk_live_${fake(ALNUM, 10)}`]),
  plain('stripe-secret-key', `sk_test_${fake(ALNUM, 24)}`, [`pk_test_${fake(ALNUM, 24)}`]),
  plain('stripe-restricted-key', `rk_live_${fake(ALNUM, 24)}`, [`rk_live_${fake(ALNUM, 19)}`]),
  plain('stripe-webhook-secret', `whsec_${fake(ALNUM, 32)}`, [`whsec_${fake(ALNUM, 20)}`]),
  plain('sendgrid-api-key', `SG.${fake(URLSAFE, 22)}.${fake(URLSAFE, 43)}`, [`SG.${fake(ALNUM, 22)}.${fake(ALNUM, 42)}`]),
  plain('twilio-api-key', `SK${fake(HEX, 32)}`, [`SK${fake(HEX, 31)}`, `TASK${fake(HEX, 32)}`]),
  plain('twilio-account-sid', `AC${fake(HEX, 32)}`, [`AC${fake(HEX, 31)}`]),
  (() => {
    const token = fake(HEX, 32);
    return { rule: 'twilio-auth-token', text: `TWILIO_AUTH_TOKEN=${token}`, span: token, nearMisses: [`BUILD_HASH=${fake(HEX, 32)}`] };
  })(),
  plain('mailgun-api-key', `key-${fake(HEX, 32)}`, [`cache-key-${fake(HEX, 32)}`, `key-${fake(HEX, 31)}`]),
  plain('mailchimp-api-key', `${fake(HEX, 32)}-us12`, [`${fake(HEX, 32)}-uk12`, `${fake(HEX, 31)}-us12`]),
  plain('discord-bot-token', `${b64url(snowflake)}.${fake(URLSAFE, 6)}.${fake(URLSAFE, 38)}`, [
    `M${fake(LOWER, 23)}.${fake(ALNUM, 6)}.${fake(ALNUM, 38)}`, // first part is not a base64 user id
    `${b64url(snowflake)}.${fake(ALNUM, 5)}.${fake(ALNUM, 38)}`,
  ]),
  plain('discord-webhook-url', `https://discord.com/api/webhooks/${snowflake}/${fake(URLSAFE, 68)}`, [
    `https://discord.com/api/webhooks/${snowflake}/${fake(ALNUM, 40)}`,
  ]),
  plain('telegram-bot-token', `${fake(DIGITS, 10)}:A${fake(URLSAFE, 34)}`, [`${fake(DIGITS, 10)}:A${fake(ALNUM, 33)}`, `${fake(DIGITS, 4)}:A${fake(ALNUM, 34)}`]),
  (() => {
    const token = `${fake(DIGITS, 9)}:A${fake(ALNUM, 34)}`;
    return { rule: 'telegram-bot-token', text: `curl https://api.telegram.org/bot${token}/getMe`, span: token, nearMisses: [] };
  })(),
  plain('shopify-token', `shpat_${fake(HEX, 32)}`, [`shpat_${fake(HEX, 31)}`]),
  plain('digitalocean-token', `dop_v1_${fake(HEX, 64)}`, [`dop_v2_${fake(HEX, 64)}`]),
  plain('heroku-api-key', `HRKU-AA${fake(URLSAFE, 58)}`, [`HRKU-AA${fake(ALNUM, 50)}`]),
  (() => {
    const key = uuid();
    return { rule: 'heroku-api-key', text: `HEROKU_API_KEY=${key}`, span: key, nearMisses: [`REQUEST_ID=${uuid()}`] };
  })(),
  (() => {
    const key = `${fake(ALNUM + '+/', 86)}==`;
    return {
      rule: 'azure-storage-account-key',
      text: `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${key};EndpointSuffix=core.windows.net`,
      span: key,
      nearMisses: [`AccountKey=${fake(ALNUM, 80)}==`],
    };
  })(),
  (() => {
    const key = `${fake(ALNUM + '+/', 43)}=`;
    return {
      rule: 'azure-shared-access-key',
      text: `Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${key}`,
      span: key,
      nearMisses: [`SharedAccessKey=${fake(ALNUM, 40)}=`],
    };
  })(),
  plain('azure-ad-client-secret', `${fake(ALNUM, 3)}8Q~${fake(ALNUM + '_~.-', 34)}`, [`bP88Q~${'x'.repeat(34)}`, `abc8Q~${fake(ALNUM, 20)}`]),
  plain('microsoft-teams-webhook', `https://acme.webhook.office.com/webhookb2/${uuid()}@${uuid()}/IncomingWebhook/${fake(HEX, 32)}/${uuid()}`, [
    `https://acme.webhook.office.com/webhookb2/${uuid()}@${uuid()}/IncomingWebhook/`,
  ]),
  plain('databricks-token', `dapi${fake(HEX, 32)}`, [`dapi${fake(HEX, 31)}`]),
  plain('vault-token', `hvs.${fake(URLSAFE, 95)}`, [`hvs.${fake(ALNUM, 50)}`]),
  plain('doppler-token', `dp.pt.${fake(ALNUM, 43)}`, [`dp.xx.${fake(ALNUM, 43)}`]),
  plain('age-secret-key', `AGE-SECRET-KEY-1${fake('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)}`, [`AGE-SECRET-KEY-1${fake('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 57)}`]),
  (() => {
    const key = fake(HEX, 32);
    return { rule: 'datadog-api-key', text: `export DD_API_KEY=${key}`, span: key, nearMisses: [`export DD_SITE_ID=${fake(HEX, 32)}`] };
  })(),
  (() => {
    const key = fake(HEX, 40);
    return { rule: 'datadog-app-key', text: `datadog_app_key: "${key}"`, span: key, nearMisses: [`datadog_app_key_id: "${fake(HEX, 40)}"`] };
  })(),
  plain('newrelic-user-api-key', `NRAK-${fake(UPPER + DIGITS, 27)}`, [`NRAK-${fake(UPPER + DIGITS, 26)}`]),
  plain('newrelic-insert-key', `NRII-${fake(URLSAFE, 32)}`, [`NRII-${fake(ALNUM, 31)}`]),
  plain('newrelic-license-key', `${fake(HEX, 36)}NRAL`, [`${fake(HEX, 35)}NRAL`]),
  plain('sentry-dsn', `https://${fake(HEX, 32)}@o450123.ingest.sentry.io/4504123`, [`https://${fake(HEX, 32)}@example.com/4504123`]),
  plain('sentry-auth-token', `sntryu_${fake(HEX, 64)}`, [`sntryu_${fake(HEX, 63)}`]),
  plain('sentry-auth-token', sentryOrgToken, [sentryOrgToken.slice(0, -2)]),
  plain('linear-api-key', `lin_api_${fake(ALNUM, 40)}`, [`lin_api_${fake(ALNUM, 39)}`]),
  plain('notion-token', `ntn_${fake(DIGITS, 11)}${fake(ALNUM, 35)}`, ['ntn_12345678901abc', `ntn_${fake(ALNUM, 46)}`]),
  plain('notion-token', `secret_${fake(ALNUM, 43)}`, [`secret_${fake(ALNUM, 42)}`]),
  plain('atlassian-api-token', `ATATT3${fake(URLSAFE, 186)}`, [`ATATT3${fake(ALNUM, 185)}`]),
  plain('postman-api-key', `PMAK-${fake(HEX, 24)}-${fake(HEX, 34)}`, [`PMAK-${fake(HEX, 24)}-${fake(HEX, 33)}`]),
  plain('jwt', jwt, [
    `${b64url('{"typ":"JWT"}')}.${jwtPayload}.${fake(URLSAFE, 43)}`, // no alg: not a JWT header
    `eyJ${fake(ALNUM, 20)}.${jwtPayload}.${fake(URLSAFE, 43)}`, // eyJ… that is not JSON
    `${jwtHeader}.${jwtPayload}`, // no signature
  ]),
  {
    rule: 'private-key',
    text: `here is the key:\n${rsaKey}\nthanks`,
    span: rsaKey,
    nearMisses: [
      pem('RSA PRIVATE KEY', '...'),
      pem('PRIVATE KEY', '<paste your key here>'),
      `-----BEGIN PRIVATE KEY-----\n${pemBody(3)}`, // never closed
      pem('CERTIFICATE', pemBody(6)), // public
    ],
  },
  plain('private-key', pem('ENCRYPTED PRIVATE KEY', pemBody(5)), [pem('PUBLIC KEY', pemBody(5))]),
  plain('private-key', pem('EC PRIVATE KEY', `Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${fake(HEX, 32).toUpperCase()}\n\n${pemBody(3)}`), []),
  plain('openssh-private-key', pem('OPENSSH PRIVATE KEY', `b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n${pemBody(4)}`), [
    `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${fake(ALNUM, 43)} jo@laptop`,
  ]),
  plain('pgp-private-key', pem('PGP PRIVATE KEY BLOCK', `Version: GnuPG v2\n\n${pemBody(5)}\n=${fake(ALNUM, 4)}`), [pem('PGP PUBLIC KEY BLOCK', pemBody(5))]),
  {
    rule: 'gcp-service-account-key',
    text: `{\n  "type": "service_account",\n  "project_id": "acme-prod",\n  "private_key_id": "${fake(HEX, 40)}",\n  "private_key": "${serviceAccountKey}\\n",\n  "client_email": "deploy@acme-prod.iam.gserviceaccount.com"\n}`,
    span: serviceAccountKey,
    nearMisses: [`{ "type": "service_account", "private_key_id": "${fake(HEX, 40)}", "private_key": "" }`],
  },
  {
    rule: 'connection-string-password',
    text: `DATABASE_URL=postgres://app:${dbPassword}@db.internal:5432/app?sslmode=require`,
    span: dbPassword,
    nearMisses: [
      'postgres://app:@db.internal:5432/app',
      'postgres://app:password@db.internal/app',
      'mysql://root:<password>@localhost:3306/shop',
      'redis://:${REDIS_PASSWORD}@cache:6379/0',
      'mongodb+srv://user:****@cluster0.abcde.mongodb.net/test',
      'amqp://guest@rabbit:5672/',
    ],
  },
  (() => {
    const pw = password();
    return { rule: 'connection-string-password', text: `mongodb+srv://svc:${pw}@cluster0.abcde.mongodb.net/`, span: pw, nearMisses: [] };
  })(),
  (() => {
    const pw = fake(ALNUM, 24);
    return { rule: 'connection-string-password', text: `REDIS_URL=rediss://:${pw}@cache.internal:6380`, span: pw, nearMisses: [] };
  })(),
  (() => {
    const pw = `${fake(ALNUM, 6)};(${fake(ALNUM, 4)}),{${fake(DIGITS, 3)}}`; // characters a careless URL leaves unescaped
    return { rule: 'connection-string-password', text: `[db](mysql://shop:${pw}@10.0.0.5:3306/shop)`, span: pw, nearMisses: [] };
  })(),
  (() => {
    const pw = fake(ALNUM, 20);
    return {
      rule: 'url-password',
      text: `git clone https://deploy:${pw}@git.example.org/acme/app.git`,
      span: pw,
      nearMisses: ['https://deploy@git.example.org/acme/app.git', 'https://example.org/a?next=b:c@d', 'see http://user:{{ pass }}@host/'],
    };
  })(),
  (() => {
    const pw = password();
    return {
      rule: 'secret-assignment',
      text: `DB_HOST=db.internal\nDB_PASSWORD=${pw}\n`,
      span: pw,
      nearMisses: [
        'password: changeme',
        'password: ${DB_PASSWORD}',
        'api_key: process.env.API_KEY',
        'password_file: /run/secrets/db',
        'token_count: 12345678',
        'secretName: my-app-secret',
        'password: "correct horse battery staple"',
        '"password": "your-password-here"',
        'client_secret = DJANGO_CLIENT_SECRET',
        'const token = generateToken(user, 3600);',
        'password: PasswordHash;',
        'if (cfg.token ?? fallbackToken) {',
      ],
    };
  })(),
  (() => {
    const pw = password();
    return { rule: 'secret-assignment', text: `db:\n  password: "${pw}"\n`, span: pw, nearMisses: [] };
  })(),
  (() => {
    const key = fake(ALNUM, 30);
    return { rule: 'secret-assignment', text: `{"apiKey": "${key}", "region": "eu"}`, span: key, nearMisses: [] };
  })(),
  plain('high-entropy', fake(ALNUM, 32), [fake(HEX, 40), uuid(), `sha512-${Buffer.from(fake(ALNUM, 64)).toString('base64')}`, 'ThisIsACamelCaseIdentifierName']),
];

/** Rules that may still report a near miss when it sits in a `key = value` or URL: generic, by design. */
const GENERIC_RULES = new Set(['secret-assignment', 'url-password', 'connection-string-password', 'high-entropy']);

describe('secretsDetector rules', () => {
  it('covers at least 40 credential formats, each with a case here', () => {
    expect(SECRET_RULE_IDS.length).toBeGreaterThanOrEqual(40);
    const tested = new Set(CASES.map((c) => c.rule));
    expect(SECRET_RULE_IDS.filter((id) => !tested.has(id))).toEqual([]);
    expect([...tested].filter((id) => !SECRET_RULE_IDS.includes(id))).toEqual([]);
  });

  it.each(CASES.map((c, i) => [`${c.rule} #${i}`, c] as const))('%s: reports the secret with an exact span', (_name, c) => {
    const findings = scan(c.text);
    const hit = findings.find((f) => f.rule === c.rule);
    expect(hit, `findings: ${JSON.stringify(findings)}`).toBeDefined();
    expect(c.text.slice(hit?.start, hit?.end)).toBe(c.span);
    expect(hit?.type).toBe('secret');
  });

  it.each(CASES.map((c, i) => [`${c.rule} #${i}`, c] as const).filter(([, c]) => c.nearMisses.length > 0))(
    '%s: ignores near misses',
    (_name, c) => {
      for (const miss of c.nearMisses) {
        const findings = scan(miss);
        expect(findings.filter((f) => f.rule === c.rule), miss).toEqual([]);
        expect(findings.filter((f) => !f.warnOnly && !GENERIC_RULES.has(f.rule)), miss).toEqual([]);
      }
    },
  );
});

describe('secretsDetector decisions', () => {
  it('gives exact formats score 1, test keys and identifiers less, and generic findings less still', () => {
    const score = (text: string, rule: string): number | undefined => scan(text).find((f) => f.rule === rule)?.score;
    expect(score(`ghp_${fake(ALNUM, 36)}`, 'github-pat')).toBe(1);
    expect(score(`sk_live_${fake(ALNUM, 24)}`, 'stripe-secret-key')).toBe(1);
    expect(score(`sk_test_${fake(ALNUM, 24)}`, 'stripe-secret-key')).toBeLessThan(1);
    expect(score(`https://${fake(HEX, 32)}@o1.ingest.sentry.io/2`, 'sentry-dsn')).toBeLessThan(1);
    expect(score(`https://${fake(HEX, 32)}:${fake(HEX, 32)}@sentry.io/2`, 'sentry-dsn')).toBe(1);
    expect(score(`password=${password()}`, 'secret-assignment')).toBeLessThan(0.9);
  });

  it('marks identifiers and generic high-entropy strings warn-only, and nothing else', () => {
    const text = `AC${fake(HEX, 32)} ${fake(ALNUM, 40)} ghp_${fake(ALNUM, 36)}`;
    const byRule = Object.fromEntries(scan(text).map((f) => [f.rule, f.warnOnly === true]));
    expect(byRule).toEqual({ 'twilio-account-sid': true, 'high-entropy': true, 'github-pat': false });
  });

  it('does not report Stripe publishable keys', () => {
    expect(scan(`Stripe(\`pk_live_${fake(ALNUM, 99)}\`)`).filter((f) => !f.warnOnly)).toEqual([]);
  });
});

describe('secretsDetector spans and overlaps', () => {
  it('reports only the value of an assignment, without quotes', () => {
    const token = `ghp_${fake(ALNUM, 36)}`;
    const text = `GITHUB_TOKEN="${token}"`;
    const findings = scan(text);
    expect(findings.map((f) => f.rule)).toEqual(['github-pat']); // not also secret-assignment or high-entropy
    expect(text.slice(findings[0]?.start, findings[0]?.end)).toBe(token);
  });

  it('prefers the exact format inside a URL password', () => {
    const token = `glpat-${fake(ALNUM, 20)}`;
    const text = `https://oauth2:${token}@gitlab.example.com/acme/app.git`;
    expect(scan(text).map((f) => [f.rule, text.slice(f.start, f.end)])).toEqual([['gitlab-pat', token]]);
  });

  it('reports a PEM block once, however many random-looking lines it holds', () => {
    const block = pem('PRIVATE KEY', pemBody(20));
    expect(scan(block)).toEqual([{ type: 'secret', rule: 'private-key', start: 0, end: block.length, score: 1 }]);
  });

  it('covers a webhook URL whole', () => {
    const url = `https://discord.com/api/webhooks/${snowflake}/${fake(ALNUM, 68)}`;
    const text = `post to <${url}> please`;
    const [f] = scan(text);
    expect(text.slice(f?.start, f?.end)).toBe(url);
  });

  it('never returns overlapping findings, sorted by position', () => {
    const doc = [
      `export OPENAI_API_KEY=sk-proj-${fake(URLSAFE, 120)}`,
      `DATABASE_URL=postgres://app:${password()}@db:5432/app`,
      `auth: Bearer ${jwt}`,
      `aws_secret_access_key = ${fake(ALNUM + '/+', 40)}`,
      pem('RSA PRIVATE KEY', pemBody(4)),
      `{"client_secret": "${fake(ALNUM, 40)}", "token": "xoxb-${fake(DIGITS, 11)}-${fake(DIGITS, 12)}-${fake(ALNUM, 24)}"}`,
      `random ${fake(ALNUM, 30)} and ${fake(ALNUM + '+/', 44)}`,
    ].join('\n');
    const findings = scan(doc);
    expect(findings.length).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < findings.length; i++) {
      expect(findings[i - 1]!.end).toBeLessThanOrEqual(findings[i]!.start);
    }
  });

  it('honours disabledRules and highEntropy: false', () => {
    const text = `ghp_${fake(ALNUM, 36)} ${fake(ALNUM, 40)}`;
    const quiet = secretsDetector({ highEntropy: false, disabledRules: ['github-pat'] });
    expect(quiet.type).toBe('secret');
    expect(quiet.scan(text)).toEqual([]);
  });
});

describe('secretsDetector on benign inputs', () => {
  const fixture = (name: string): string => readFileSync(new URL(`../../../../test/fixtures/guardrails/${name}`, import.meta.url), 'utf8');
  const BENIGN = ['package-lock.json', 'yarn.lock', 'go.sum', 'git-log.txt', 'Dockerfile', 'minified.js', 'ids.csv', 'inline-image.html'];

  it.each(BENIGN)('%s has no finding that would be acted on', (name) => {
    expect(scan(fixture(name)).filter((f) => !f.warnOnly)).toEqual([]);
  });

  it('does not even warn on lockfile integrity hashes, git SHAs, UUIDs, go.sum hashes or data: images', () => {
    for (const name of ['package-lock.json', 'yarn.lock', 'go.sum', 'git-log.txt', 'Dockerfile', 'ids.csv', 'inline-image.html']) {
      expect(scan(fixture(name)), name).toEqual([]);
    }
  });
});

describe('secretsDetector on megabytes', () => {
  const MB = 1_000_000;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length));

  it('scans a 1 MB benign document', () => {
    const names = ['package-lock.json', 'yarn.lock', 'go.sum', 'git-log.txt', 'minified.js'];
    const doc = fill(names.map((n) => readFileSync(new URL(`../../../../test/fixtures/guardrails/${n}`, import.meta.url), 'utf8')).join('\n'));
    expect(scan(doc).filter((f) => !f.warnOnly)).toEqual([]);
  });

  it.each([
    'a',
    '-----BEGIN ',
    '-----BEGIN RSA PRIVATE KEY-----\n',
    '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END ',
    'eyJ',
    'eyJhbGciOiJub25lIn0.',
    'ghp_',
    'sk_live_',
    'xoxb-1234567890-',
    '://',
    'a:b@',
    'http://u:',
    'password=',
    '"token": "',
    'AKIA',
    'M',
    'key-',
    '1:A',
    'Q~',
    'a-',
    'Aa1',
  ])('finishes on 1 MB of %j', (unit) => {
    expect(Array.isArray(scan(fill(unit)))).toBe(true);
  });
});

describe('shannonEntropy', () => {
  it('is 0 for one repeated character and log2(n) for n distinct ones', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});
