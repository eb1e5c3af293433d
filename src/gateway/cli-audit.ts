// `gatehouse audit`: verify the ledger's chain (with checkpoints kept elsewhere), make checkpoints,
// export a time range as compressed JSONL that verifies on its own, prune old records.
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip, gunzipSync } from 'node:zlib';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { AuditCheckpoint, AuditVerifyResult } from '../shared/contract.js';
import type { ControlClient } from '../shared/control-client.js';
import { keychainLookup } from './ledger-key.js';
import { dataFiles } from './paths.js';
import { createKeychainStore } from './secrets/keychain.js';
import { exportLines, parseCheckpoint, verifyExport } from './store/audit.js';
import { chainMode } from './store/ledger.js';
import type { Db } from './store/db.js';

type FailKind = 'usage' | 'failed' | 'unreachable';

export interface AuditDeps {
  io: { out: (s: string) => void; err: (s: string) => void };
  dataDir: () => string;
  control: <T>(fn: (client: ControlClient) => Promise<T>) => Promise<T>;
  fail: (message: string, kind: FailKind) => Error;
  now?: () => Date;
}

function readCheckpoints(files: string[], fail: AuditDeps['fail']): AuditCheckpoint[] {
  return files.map((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw fail(`--checkpoint ${f}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'usage');
    }
    try {
      return parseCheckpoint(text);
    } catch (err) {
      throw fail(`--checkpoint ${f}: ${(err as Error).message}`, 'usage');
    }
  });
}

function describe(r: AuditVerifyResult): string[] {
  const lines: string[] = [];
  if (r.status === 'intact') lines.push(`intact: ${r.records} records${r.firstSeq !== null ? ` (${r.firstSeq}..${r.lastSeq})` : ''}`);
  else if (r.status === 'broken') lines.push(`BROKEN at record ${r.problem!.seq} (${r.problem!.kind}): ${r.problem!.message}`);
  else lines.push(`cannot verify: ${r.problem!.message}`);
  for (const s of r.segments) lines.push(`  records ${s.from}..${s.to}: ${s.keyed ? `keyed (ledger ${s.ledgerId})` : `unkeyed${s.reason ? ` (${s.reason})` : ''}`}`);
  for (const c of r.checkpoints) lines.push(`  checkpoint of record ${c.seq} made ${c.madeAt}: ${c.status}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines;
}

/** ISO instant from a date or a date-time (a bare date is its start, UTC). */
function instant(flag: string, v: string, fail: AuditDeps['fail']): string {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(t)) throw fail(`${flag} "${v}": expected a date (2026-11-01) or an ISO date-time`, 'usage');
  return new Date(t).toISOString();
}

export function auditCommand(program: Command, deps: AuditDeps): Command {
  const { io, fail } = deps;
  const now = deps.now ?? (() => new Date());
  const audit = program.command('audit').description('the tamper-evident ledger: verify, checkpoint, export, prune');

  audit
    .command('verify')
    .description('recompute the chain over the stored records; exit 0 when intact, 1 naming the first bad record')
    .option('--checkpoint <file...>', 'checkpoints made earlier (gatehouse audit checkpoint): a cut-off tail or a rewrite is caught against them')
    .option('--export <file>', 'verify an export file (gatehouse audit export) instead of the data directory')
    .option('--json', 'print the result as JSON')
    .action(async (f: { checkpoint?: string[]; export?: string; json?: boolean }) => {
      if (f.export) {
        let text: string;
        try {
          text = gunzipSync(readFileSync(f.export)).toString('utf8');
        } catch (err) {
          throw fail(`--export ${f.export}: cannot read it as a gzip file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'usage');
        }
        const r = await verifyExport(text.split('\n'), keychainLookup(createKeychainStore({ service: 'gatehouse-ledger' })));
        io.out(f.json ? JSON.stringify(r, null, 2) : `${r.ok ? 'intact' : 'BROKEN'}: ${r.message}`);
        if (!r.ok) throw fail('', 'failed');
        return;
      }
      const checkpoints = readCheckpoints(f.checkpoint ?? [], fail);
      const r = await deps.control((c) => c.call('audit:verify', { checkpoints }));
      io.out(f.json ? JSON.stringify(r, null, 2) : describe(r).join('\n'));
      // Exit 1 for a broken chain, 2 when it could not be checked (a key is missing).
      if (r.status !== 'intact') throw fail('', r.status === 'broken' ? 'failed' : 'usage');
    });

  audit
    .command('checkpoint')
    .description('print the head of the chain signed with the ledger key; keep it where the database cannot be rewritten')
    .option('--out <file>', 'write it to a file (created, not overwritten)')
    .action(async (f: { out?: string }) => {
      const cp = await deps.control((c) => c.call('audit:checkpoint', {}));
      const text = `${JSON.stringify(cp, null, 2)}\n`;
      if (!f.out) return io.out(text.trimEnd());
      let fd: number;
      try {
        fd = openSync(f.out, 'wx', 0o644);
      } catch (err) {
        throw fail(`--out ${f.out}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file exists; checkpoints are not overwritten' : ((err as NodeJS.ErrnoException).code ?? (err as Error).message)}`, 'failed');
      }
      writeSync(fd, text);
      closeSync(fd);
      io.out(`checkpoint of record ${cp.seq} written to ${f.out}`);
    });

  audit
    .command('export')
    .description('write the records of a time range, and a checkpoint of the last one, as gzip-compressed JSONL')
    .requiredOption('--from <date>', 'first instant (a date is its start, UTC)')
    .requiredOption('--to <date>', 'end instant, excluded')
    .requiredOption('--out <file>', 'the .jsonl.gz file to write')
    .action(async (f: { from: string; to: string; out: string }) => {
      const from = instant('--from', f.from, fail);
      const to = instant('--to', f.to, fail);
      if (from >= to) throw fail('--from must be before --to', 'usage');
      const path = join(deps.dataDir(), dataFiles.database);
      if (!existsSync(path)) throw fail(`no ledger at ${path}: nothing has been recorded in this data directory`, 'failed');
      if (existsSync(f.out)) throw fail(`--out ${f.out}: the file exists; exports are not overwritten`, 'failed');
      // Read-only: a running gateway keeps writing meanwhile (WAL readers see a consistent snapshot).
      const db = new Database(path, { readonly: true, fileMustExist: true }) as unknown as Db;
      try {
        const last = (db.prepare('SELECT max(seq) AS s FROM events WHERE at < ?').get(to) as { s: number | null }).s;
        const mode = last === null ? ({ keyed: false } as const) : chainMode(db, last);
        const lookup = keychainLookup(createKeychainStore({ service: 'gatehouse-ledger' }));
        const keyBytes = mode.keyed ? await lookup(mode.ledgerId) : null;
        const key = keyBytes && mode.keyed ? { ledgerId: mode.ledgerId, key: keyBytes } : null;
        const gzip = createGzip();
        const file = createWriteStream(f.out, { flags: 'wx' });
        gzip.pipe(file);
        let records = -1;
        for (const line of exportLines(db, { from, to }, key, now())) {
          if (!line.startsWith('{"checkpoint"')) records++;
          if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
        }
        gzip.end();
        await once(file, 'close');
        io.out(`${records} records written to ${f.out}${key ? ', the last one signed by the ledger key' : mode.keyed ? ' (unsigned: the ledger key is not in the keychain)' : ' (unsigned: those records are unkeyed)'}`);
      } finally {
        db.close();
      }
    });

  audit
    .command('prune')
    .description('delete records written before a date (at least 31 days ago); the rest stays verifiable')
    .requiredOption('--before <date>', 'records written before this instant are deleted')
    .option('--yes', 'do it (without it, nothing is deleted)')
    .action(async (f: { before: string; yes?: boolean }) => {
      const before = instant('--before', f.before, fail);
      if (!f.yes) throw fail(`this deletes every record written before ${before}, with the usage they carry (reports and all-time budgets no longer count it); export them first (gatehouse audit export), then run again with --yes`, 'usage');
      const r = await deps.control((c) => c.call('audit:prune', { before }));
      io.out(r.deleted === 0 ? 'nothing to prune' : `${r.deleted} records deleted (through record ${r.throughSeq}); the rest chains from the hash recorded in ledger.pruned`);
    });
  return audit;
}
