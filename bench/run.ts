// `npm run bench`: every benchmark, each against its reference tool in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchBackup, benchWorkDir, printBackup } from './backup';
import { benchAlerts, printAlerts } from './alerts';
import { benchCli, printCli } from './cli';
import { benchDr, printDr } from './dr';
import { benchFailover, printFailover } from './failover';
import { benchFleet, printFleet } from './fleet';
import { benchHealth, printHealth } from './health';
import { benchRedundancy, printRedundancy } from './redundancy';

async function main(): Promise<number> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const want = (name: string): boolean => only.length === 0 || only.includes(name);
  const results: Record<string, unknown> = {
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    at: new Date().toISOString(),
  };
  let ok = true;
  if (want('health')) {
    const r = await benchHealth();
    printHealth(r);
    results.health = r;
    ok &&= r.pass;
  }
  if (want('cli')) {
    const r = await benchCli();
    printCli(r);
    results.cli = r;
    ok &&= Object.values(r.pass).every(Boolean);
  }
  if (want('alerts')) {
    const r = await benchAlerts();
    console.log('');
    printAlerts(r);
    results.alerts = r;
    ok &&= r.latency.pass && r.evaluation.pass && r.burst.pass;
  }
  if (want('redundancy')) {
    const r = await benchRedundancy();
    console.log('');
    printRedundancy(r);
    results.redundancy = r;
    ok &&= r.pass;
  }
  if (want('failover')) {
    const r = await benchFailover();
    console.log('');
    printFailover(r);
    results.failover = r;
    ok &&= r.pass;
  }
  if (want('dr')) {
    const r = await benchDr();
    console.log('');
    printDr(r);
    results.dr = r;
    ok &&= r.pass;
  }
  if (want('backup')) {
    const r = await benchBackup(benchWorkDir(path.join(__dirname, '..', '..', '.data', 'bench')));
    console.log('');
    printBackup(r);
    results.backup = r;
    ok &&= Object.values(r.pass).every(Boolean);
  }
  // The fleet bench takes about half an hour (two servers, 52 workers): only when named.
  if (only.includes('fleet')) {
    const r = await benchFleet();
    console.log('');
    printFleet(r);
    results.fleet = r;
    // A server left out on purpose (HA_BENCH_FLEET_SERVERS) is no failure; one that broke is.
    const runs = [r.dev, r.cluster];
    ok &&= runs.every((x) =>
      'error' in x ? x.error === 'not asked for' : Object.values(x.pass).every(Boolean),
    );
  }
  const out = path.join(__dirname, '..', '..', '.data', 'bench', 'latest.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`\nfull results: ${path.relative(process.cwd(), out)}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
