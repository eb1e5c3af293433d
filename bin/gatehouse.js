#!/usr/bin/env node
// The `gatehouse` command: runs the CLI built into out/node by `npm run build:gateway`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../out/node/gateway/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(`gatehouse: the CLI is not built yet; run \`npm run build\` in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(3);
}
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));
