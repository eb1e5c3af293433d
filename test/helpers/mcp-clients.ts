// Third-party MCP clients run as child processes against a URL: the MCP Inspector's CLI and the
// MCP conformance suite; plus server-everything over its own Streamable HTTP, and a relay that
// adds the key to every request for a client that cannot send headers.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The absolute path of a package's command, from its package.json `bin`. */
export function packageBin(pkg: string, bin?: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string> };
  const rel = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[bin ?? Object.keys(manifest.bin ?? {})[0] ?? ''];
  if (!rel) throw new Error(`${pkg} has no command${bin ? ` named ${bin}` : ''}`);
  return join(dirname(manifestPath), rel);
}

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node script ...args` to its end; past `timeoutMs` it is killed (by its PID) and the promise rejects. */
export function runNode(script: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs: number }): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${script} ${args.join(' ')} did not finish in ${opts.timeoutMs} ms\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`));
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * One call of the MCP Inspector's CLI (`mcp-inspector-cli --cli URL --method ...`), over Streamable
 * HTTP with the given headers; the result is the JSON it prints.
 */
export async function inspect(url: string, headers: Record<string, string>, args: string[]): Promise<NodeRun & { json: unknown }> {
  // build/index.js is what `mcp-inspector-cli --cli` spawns. It imports "../package.json" when that
  // path exists relative to its working directory (else "../../package.json", which does not exist
  // in a plain install): running it from its own folder makes the first one right.
  const cli = join(dirname(packageBin('@modelcontextprotocol/inspector-cli')), 'index.js');
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
  const run = await runNode(cli, [url, '--transport', 'http', ...headerArgs, ...args], { cwd: dirname(cli), timeoutMs: 30_000 });
  let json: unknown;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    // Not JSON: it failed, and its exit code and stderr say how.
    json = undefined;
  }
  return { ...run, json };
}

export type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';

export interface ConformanceCheck {
  id: string;
  name: string;
  status: CheckStatus;
  errorMessage?: string;
}

export interface ConformanceRun {
  /** Scenario name -> its checks, as the suite wrote them to checks.json. */
  scenarios: Map<string, ConformanceCheck[]>;
  /** What it printed: the per-scenario report and the summary. */
  output: string;
}

/** A scenario passes as the suite's summary counts it: none of its checks failed. */
export function scenarioPassed(checks: readonly ConformanceCheck[]): boolean {
  return !checks.some((c) => c.status === 'FAILURE');
}

/**
 * Runs every server scenario of `@modelcontextprotocol/conformance` (`server --suite all`) against
 * `url` and reads the checks.json each scenario leaves in its result folder. The suite exits 1 when
 * any scenario fails; that is a result, not an error.
 */
export async function runConformance(url: string, opts: { timeoutMs: number }): Promise<ConformanceRun> {
  const outDir = mkdtempSync(join(tmpdir(), 'gh-conformance-'));
  try {
    const run = await runNode(packageBin('@modelcontextprotocol/conformance', 'conformance'), ['server', '--url', url, '--suite', 'all', '--output-dir', outDir], {
      timeoutMs: opts.timeoutMs,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    const scenarios = new Map<string, ConformanceCheck[]>();
    // Each result folder is `server-{scenario}-{ISO time with ":" and "." as "-"}`.
    for (const dir of readdirSync(outDir)) {
      const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(dir)?.[1];
      if (scenario) scenarios.set(scenario, JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8')) as ConformanceCheck[]);
    }
    if (scenarios.size === 0) throw new Error(`the conformance suite wrote no results (exit ${run.code})\n${output.slice(-4000)}`);
    return { scenarios, output };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export interface Stoppable {
  url: string;
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 a moment ago, for a server that cannot be told to listen on port 0 and report it. */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

/**
 * `@modelcontextprotocol/server-everything` serving Streamable HTTP itself (`index.js streamableHttp`).
 * It takes its port from PORT and prints the number it was given, so a free one is picked first.
 * `url` ends in `/mcp`.
 */
export async function startEverythingHttp(mode: 'streamableHttp' | 'sse' = 'streamableHttp'): Promise<Stoppable> {
  const script = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
  const port = await freePort();
  const child = spawn(process.execPath, [script, mode], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let output = '';
  let listening = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server-everything did not start listening\n${output}`));
    }, 20_000);
    // It logs every request; once it listens, reading that only keeps the pipes from filling.
    const onData = (d: Buffer): void => {
      if (listening) return;
      output += d.toString();
      if (/listening on port|running on port/i.test(output)) {
        listening = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!listening) reject(new Error(`server-everything exited with ${code}\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/${mode === 'sse' ? 'sse' : 'mcp'}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A reverse proxy on 127.0.0.1 that forwards every request to `target`'s origin with `headers`
 * added, streaming both ways: for a client that has no way to send the key. A Host or Origin
 * naming the relay itself is rewritten to name the target, as if the client had called the target;
 * any other Host or Origin goes through as sent, so the target's own checks still judge it.
 */
export async function startHeaderRelay(target: string, headers: Record<string, string>): Promise<Stoppable> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const out: OutgoingHttpHeaders = { ...req.headers };
    if (req.headers.host === relayHost) out.host = to.host;
    if (req.headers.origin === `http://${relayHost}`) out.origin = to.origin;
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: out }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    // A client that goes away (closing an SSE stream) closes the forwarded request with it.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const relayHost = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${relayHost}${to.pathname}`,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
