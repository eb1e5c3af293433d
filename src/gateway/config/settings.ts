// The server settings in effect: a command-line flag beats an environment variable, which beats the
// config file; the file's schema supplies the defaults for anything the file leaves out.
import { ConfigError } from './load.js';
import { serverSchema, type GatehouseConfig } from './schema.js';

export type LogLevel = GatehouseConfig['server']['logLevel'];

export const LOG_LEVELS: readonly LogLevel[] = serverSchema.shape.logLevel.unwrap().options;

export interface ServerSettings {
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Only from the file: lists are awkward in flags and environment variables, and rarely changed. */
  allowedHosts: string[];
  allowedOrigins: string[];
}

export interface ServerFlags {
  host?: string;
  port?: number;
  logLevel?: string;
}

export const SERVER_ENV = { host: 'GATEHOUSE_HOST', port: 'GATEHOUSE_PORT', logLevel: 'GATEHOUSE_LOG_LEVEL' } as const;

/** Throws ConfigError CONFIG_INVALID naming the flag or variable, its value and what was expected. */
export function resolveServerSettings(
  flags: ServerFlags,
  env: Record<string, string | undefined>,
  file: GatehouseConfig['server'],
): ServerSettings {
  const envHost = envValue(env, SERVER_ENV.host);
  const envPort = envValue(env, SERVER_ENV.port);
  const envLogLevel = envValue(env, SERVER_ENV.logLevel);
  return {
    host:
      flags.host !== undefined
        ? checkHost(flags.host, `--host ${JSON.stringify(flags.host)}`)
        : envHost !== undefined
          ? checkHost(envHost, `${SERVER_ENV.host}=${JSON.stringify(envHost)}`)
          : file.host,
    port:
      flags.port !== undefined
        ? checkPort(flags.port, `--port ${String(flags.port)}`)
        : envPort !== undefined
          ? checkPort(/^\d+$/.test(envPort.trim()) ? Number(envPort) : Number.NaN, `${SERVER_ENV.port}=${JSON.stringify(envPort)}`)
          : file.port,
    logLevel:
      flags.logLevel !== undefined
        ? checkLogLevel(flags.logLevel, `--log-level ${JSON.stringify(flags.logLevel)}`)
        : envLogLevel !== undefined
          ? checkLogLevel(envLogLevel, `${SERVER_ENV.logLevel}=${JSON.stringify(envLogLevel)}`)
          : file.logLevel,
    allowedHosts: [...file.allowedHosts],
    allowedOrigins: [...file.allowedOrigins],
  };
}

/** A variable set to the empty string counts as unset: shells and service files use that to clear one. */
function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function checkHost(value: string, source: string): string {
  if (serverSchema.shape.host.safeParse(value).success && !/\s/.test(value)) return value;
  throw invalid('server.host', `${source} is not a valid host; expected a host name or IP address to listen on, such as 127.0.0.1`);
}

function checkPort(value: number, source: string): number {
  if (serverSchema.shape.port.safeParse(value).success) return value;
  throw invalid('server.port', `${source} is not a valid port; expected a whole number from 0 to 65535`);
}

function checkLogLevel(value: string, source: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === value.trim().toLowerCase());
  if (level) return level;
  throw invalid('server.logLevel', `${source} is not a valid log level; expected one of ${LOG_LEVELS.join(', ')}`);
}

function invalid(path: string, message: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', message, [{ path, message }]);
}
