// The gateway's logger: pino JSON lines on stderr, with credentials redacted by path and by value.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Header and field names that carry credentials, wherever they appear in a log object. */
const REDACT_PATHS = [
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  'headers["x-gatehouse-key"]',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers["x-goog-api-key"]',
  '*.headers["x-gatehouse-key"]',
  '*.headers.cookie',
  'apiKey',
  'secret',
  'token',
  'value',
];

export function createLogger(opts: { level: string; scrub?: (text: string) => string; destination?: number | string }): Logger {
  return pino({
    level: opts.level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // A secret can also hide inside a message (an upstream error that echoes a key): every
    // message passes the secret scrubber, which knows the values read from the keychain.
    ...(opts.scrub
      ? {
          hooks: {
            logMethod(args, method) {
              const scrub = opts.scrub!;
              method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
            },
          },
        }
      : {}),
  }, pino.destination({ dest: opts.destination ?? 2, sync: false }));
}
