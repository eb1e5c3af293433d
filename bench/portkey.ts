// Portkey's open-source gateway (`@portkey-ai/gateway` from npm) as a same-run baseline, on loopback, routed to the mock.
import { createRequire } from 'node:module';
import { startService, type Service } from './processes.js';

const require = createRequire(import.meta.url);

/**
 * Starts `build/start-server.js` in production mode without its UI. It always listens on every
 * interface at a fixed port; `loopback-listen.ts`, preloaded, makes it listen on 127.0.0.1 at a
 * free port and print the address, so it stays off the network and never collides with a run.
 */
export async function startPortkey(opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Service> {
  const entry = require.resolve('@portkey-ai/gateway/build/start-server.js');
  return startService('portkey', ['--import', 'tsx', '--import', './bench/loopback-listen.ts', entry, '--headless'], {
    cwd: opts.cwd,
    env: { ...opts.env, NODE_ENV: 'production' },
    readyTimeoutMs: 30_000,
  });
}

/**
 * The headers that make Portkey forward an OpenAI chat completion to `upstream` (its `openai`
 * provider with a custom host; 127.0.0.1 is on its default list of trusted custom hosts), with the
 * upstream key as the bearer token: Portkey has no key of its own here, so no auth or policy runs.
 */
export function portkeyHeaders(upstream: string, upstreamKey: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: `Bearer ${upstreamKey}`,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${upstream}/v1`,
  };
}
