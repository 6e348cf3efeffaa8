/**
 * `npm run faults`: runs every cell of the fault matrix (src/harness/fault-matrix.ts), the same
 * cells the tests assert, and prints what each saw as a Markdown table: outcome, calls the fault
 * hit, Step Functions retries, instances, records and lease schedules left, and what a rerun did.
 *
 *   npm run faults -- [--json]
 *
 * Exit code 0 when every cell kept its promise, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { synthesize } from '../src/engine/synth';
import { Harness } from '../src/harness';
import {
  CREATE_CASES,
  DESTROY_CASES,
  type FaultCase,
  type Observation,
  promised,
  runCase,
} from '../src/harness/fault-matrix';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });

interface Row {
  c: FaultCase;
  seen: Observation;
  kept: boolean;
}

function keeps(c: FaultCase, seen: Observation): boolean {
  return Object.entries(promised(c)).every(([key, value]) => seen[key as keyof Observation] === value);
}

/**
 * Every cell, one after another, on one emulator: the local engine points the SDK at its emulator
 * through the process environment, so there is one engine per process.
 */
async function runAll(cases: FaultCase[], progress: (done: number) => void): Promise<Row[]> {
  const h = new Harness();
  await h.start();
  try {
    await h.reset();
    const rows: Row[] = [];
    for (const c of cases) {
      const seen = await runCase(h, c);
      rows.push({ c, seen, kept: keeps(c, seen) });
      progress(rows.length);
    }
    return rows;
  } finally {
    await h.stop();
  }
}

async function main(): Promise<number> {
  process.env.LIFECYCLE_TEMPLATE = synthesize().templatePath;
  const cases = [...CREATE_CASES, ...DESTROY_CASES];
  const rows = await runAll(cases, (n) => {
    if (!values.json && (n % 10 === 0 || n === cases.length)) process.stderr.write(`  ${n}/${cases.length} cells\n`);
  });

  if (values.json) {
    console.log(
      JSON.stringify(
        rows.map(({ c, seen, kept }) => ({ ...c, seen, kept })),
        null,
        2,
      ),
    );
  } else {
    console.log(
      '| workflow | step | fault | outcome | calls hit | SFN retries | launched / live / records / leases | rerun | ms |',
    );
    console.log('|---|---|---|---|---:|---:|---|---|---:|');
    for (const { c, seen, kept } of rows) {
      const outcome = `${kept ? '' : '✗ '}${seen.status === 'SUCCEEDED' ? 'succeeded' : `failed: ${seen.error}`}`;
      const left = `${seen.launched} / ${seen.live} / ${seen.records} / ${seen.leases}`;
      console.log(
        `| ${c.workflow} | ${c.step} | ${c.fault} | ${outcome} | ${seen.injected} | ${seen.retries} | ${left} | ${seen.rerun ?? ''} | ${seen.ms} |`,
      );
    }
    const broken = rows.filter((r) => !r.kept).length;
    console.log(`\n${rows.length} cells, ${rows.length - broken} kept their promise, ${broken} did not`);
  }
  return rows.every((r) => r.kept) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`faults: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
