// `npm start` runs this first: builds better-sqlite3 and keytar for the installed Electron's ABI
// into out/native/electron-<version>, leaving node_modules built for Node (so `npm test` keeps
// working in the same checkout). The desktop app's main process finds them (src/main/native-modules.ts).
// Building needs Electron's headers from electronjs.org once per version; a packaged app does not
// use this (electron-builder rebuilds its own copy).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYTAR_ADDON, nativeModulesDir, SQLITE_ADDON } from '../src/main/native-modules';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
const modules = nativeModulesDir(join(root, 'out'), version);
const packages = ['better-sqlite3', ...(existsSync(join(root, 'node_modules/keytar')) ? ['keytar'] : [])];
const addons: Record<string, string> = { 'better-sqlite3': SQLITE_ADDON, keytar: KEYTAR_ADDON };

if (packages.every((p) => existsSync(join(modules, addons[p]!)))) {
  process.stderr.write(`native addons for Electron ${version} are built (${modules})\n`);
  process.exit(0);
}

process.stderr.write(`building ${packages.join(' and ')} for Electron ${version} in ${modules} (once per Electron version)…\n`);
rmSync(dirname(modules), { recursive: true, force: true });
mkdirSync(modules, { recursive: true });

/** npm's own node-gyp (npm ships one; found from npm_execpath under `npm start`, else beside node), else `node-gyp` on the PATH. */
function nodeGyp(): string[] {
  const npmDirs = [process.env.npm_execpath && dirname(dirname(process.env.npm_execpath)), join(dirname(process.execPath), '../lib/node_modules/npm')];
  const bundled = npmDirs.map((d) => d && join(d, 'node_modules/node-gyp/bin/node-gyp.js')).find((f) => f && existsSync(f));
  return bundled ? [process.execPath, bundled] : ['node-gyp'];
}

// Each package copied without its Node build, then compiled by node-gyp against Electron's headers.
// Explicit flags, and no inherited npm_config_nodedir: a machine's nodedir setting would otherwise build for its Node.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(nodedir|target|runtime|dist_url|disturl)$/i.test(k)));
const [gyp, ...gypArgs] = nodeGyp();
const failed: string[] = [];
for (const p of packages) {
  cpSync(join(root, 'node_modules', p), join(modules, p), { recursive: true, filter: (src) => !src.startsWith(join(root, 'node_modules', p, 'build')) });
  const run = spawnSync(gyp!, [...gypArgs, 'rebuild', '--release', '--runtime=electron', `--target=${version}`, '--dist-url=https://electronjs.org/headers'], { cwd: join(modules, p), stdio: 'inherit', env });
  if (run.error) process.stderr.write(`could not run node-gyp: ${run.error.message}\n`);
  if (run.status !== 0 || !existsSync(join(modules, addons[p]!))) failed.push(p);
}
if (failed.length > 0) {
  process.stderr.write(
    `could not build ${failed.join(' and ')} for Electron ${version}. node-gyp needs Electron's headers from https://electronjs.org/headers ` +
      '(network, once per version) and a C++ toolchain; node_modules is untouched, so `npm test` and `npm run serve` still work.\n',
  );
  process.exit(1);
}
process.stderr.write(`built: ${packages.map((p) => join(modules, addons[p]!)).join(', ')}\n`);
