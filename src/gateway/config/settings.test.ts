// Tests for the server settings' precedence (flag > environment > file > default) and bad values.
import { describe, expect, it } from 'vitest';
import { ConfigError } from './load.js';
import { serverSchema } from './schema.js';
import { resolveServerSettings } from './settings.js';
import { thrown } from '../../../test/helpers/thrown.js';

const defaults = serverSchema.parse({});
const fromFile = serverSchema.parse({
  host: 'file.local',
  port: 5000,
  logLevel: 'warn',
  allowedHosts: ['gate.local'],
  allowedOrigins: ['http://localhost:5173'],
});


describe('resolveServerSettings', () => {
  it('uses the schema defaults when nothing is set', () => {
    expect(resolveServerSettings({}, {}, defaults)).toEqual({
      host: '127.0.0.1',
      port: 4141,
      logLevel: 'info',
      allowedHosts: [],
      allowedOrigins: [],
    });
  });

  it('prefers the file to the defaults', () => {
    expect(resolveServerSettings({}, {}, fromFile)).toEqual({
      host: 'file.local',
      port: 5000,
      logLevel: 'warn',
      allowedHosts: ['gate.local'],
      allowedOrigins: ['http://localhost:5173'],
    });
  });

  it('prefers the environment to the file', () => {
    const env = { GATEHOUSE_HOST: 'env.local', GATEHOUSE_PORT: '6000', GATEHOUSE_LOG_LEVEL: 'DEBUG' };
    expect(resolveServerSettings({}, env, fromFile)).toMatchObject({ host: 'env.local', port: 6000, logLevel: 'debug' });
  });

  it('prefers flags to the environment', () => {
    const env = { GATEHOUSE_HOST: 'env.local', GATEHOUSE_PORT: '6000', GATEHOUSE_LOG_LEVEL: 'debug' };
    const flags = { host: 'flag.local', port: 7000, logLevel: 'error' };
    expect(resolveServerSettings(flags, env, fromFile)).toMatchObject({ host: 'flag.local', port: 7000, logLevel: 'error' });
  });

  it('resolves each setting on its own', () => {
    const settings = resolveServerSettings({ port: 7000 }, { GATEHOUSE_LOG_LEVEL: 'trace' }, fromFile);
    expect(settings).toMatchObject({ host: 'file.local', port: 7000, logLevel: 'trace' });
  });

  it('treats an empty variable as unset', () => {
    expect(resolveServerSettings({}, { GATEHOUSE_PORT: '', GATEHOUSE_HOST: ' ' }, fromFile)).toMatchObject({ host: 'file.local', port: 5000 });
  });

  it('does not share the file’s lists with the result', () => {
    const settings = resolveServerSettings({}, {}, fromFile);
    settings.allowedHosts.push('other.local');
    expect(fromFile.allowedHosts).toEqual(['gate.local']);
  });

  it('rejects a bad environment value, naming the variable, the value and what was expected', () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ GATEHOUSE_PORT: 'abc' }, 'GATEHOUSE_PORT="abc" is not a valid port; expected a whole number from 0 to 65535', 'server.port'],
      [{ GATEHOUSE_PORT: '70000' }, 'GATEHOUSE_PORT="70000" is not a valid port; expected a whole number from 0 to 65535', 'server.port'],
      [{ GATEHOUSE_PORT: '80.5' }, 'GATEHOUSE_PORT="80.5" is not a valid port; expected a whole number from 0 to 65535', 'server.port'],
      [
        { GATEHOUSE_LOG_LEVEL: 'loud' },
        'GATEHOUSE_LOG_LEVEL="loud" is not a valid log level; expected one of fatal, error, warn, info, debug, trace, silent',
        'server.logLevel',
      ],
      [{ GATEHOUSE_HOST: 'two words' }, 'GATEHOUSE_HOST="two words" is not a valid host; expected a host name or IP address to listen on, such as 127.0.0.1', 'server.host'],
    ];
    for (const [env, message, path] of cases) {
      const err = thrown(ConfigError, () => resolveServerSettings({}, env, defaults));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toBe(message);
      expect(err.issues).toEqual([{ path, message }]);
    }
  });

  it('rejects bad flag values before looking at the environment', () => {
    expect(thrown(ConfigError, () => resolveServerSettings({ port: Number.NaN }, { GATEHOUSE_PORT: '6000' }, defaults)).message).toBe(
      '--port NaN is not a valid port; expected a whole number from 0 to 65535',
    );
    expect(thrown(ConfigError, () => resolveServerSettings({ logLevel: 'verbose' }, {}, defaults)).message).toMatch(
      /^--log-level "verbose" is not a valid log level; expected one of fatal, /,
    );
  });
});
