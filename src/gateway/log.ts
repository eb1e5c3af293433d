// The gateway's logger: pino JSON lines on stderr, with credentials redacted by path and by value.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Headers that carry credentials: the inbound APIs' keys, the gateway's own, Azure's `api-key`, cookies. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'x-goog-api-key', 'x-gatehouse-key', 'x-gatehouse-internal', 'api-key', 'cookie', 'set-cookie'];
/** Fields that hold a credential whatever object they are in. */
const CREDENTIAL_FIELDS = ['apiKey', 'api_key', 'secret', 'secretHash', 'token', 'password', 'authorization', 'cookie'];

const prop = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);

/**
 * Paths redacted in every log object: credential headers in a `headers` object at the top, one or
 * two levels down (`req.headers`, `upstream.req.headers`); credential fields at the top and one
 * level down; and `value` at the top (what `secrets set` logs as).
 */
export const REDACT_PATHS = [
  ...['', '*.', '*.*.'].flatMap((prefix) => CREDENTIAL_HEADERS.map((h) => `${prefix}headers${prop(h)}`)),
  ...CREDENTIAL_FIELDS.flatMap((f) => [f, `*.${f}`]),
  'value',
];

/** Credentials the gateway can recognise by shape: its own virtual keys, and any Bearer credential. */
const VIRTUAL_KEY = /\bgh_[A-Za-z0-9_-]{20,}/g;
const BEARER = /\b(Bearer\s+)[^\s"',;]+/gi;

/** Removes credentials known by shape from text, then the caller's own (the secret values read from the keychain). */
export function scrubText(text: string, scrub?: (text: string) => string): string {
  const shaped = text.replace(VIRTUAL_KEY, 'gh_[redacted]').replace(BEARER, '$1[redacted]');
  return scrub ? scrub(shaped) : shaped;
}

export function createLogger(opts: { level: string; scrub?: (text: string) => string; destination?: number | string | DestinationStream }): Logger {
  const clean = (text: string): string => scrubText(text, opts.scrub);
  // An error's message and stack can echo a secret (an upstream error quoting a key): scrubbed
  // whether it is logged as an Error or as its message (`{ err: e.message }`).
  const errorSerializer = (value: unknown): unknown => {
    if (typeof value === 'string') return clean(value);
    if (!(value instanceof Error)) return value;
    const s = pino.stdSerializers.err(value);
    s.message = clean(s.message);
    if (s.stack) s.stack = clean(s.stack);
    return s;
  };
  const destination = opts.destination !== undefined && typeof opts.destination === 'object' ? opts.destination : pino.destination({ dest: opts.destination ?? 2, sync: false });
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: errorSerializer, error: errorSerializer },
      // A secret can also hide inside a message: every message passes the scrubber.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? clean(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
