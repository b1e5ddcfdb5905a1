import type { Result } from 'autocannon';

import type { Spread } from './measure-ttfb.js';

/** One load run, direct and through Moji, with the CPU time Moji spent on it. */
export interface LoadRow {
  name: string;
  direct: Result;
  viaMoji: Result;
  mojiCpuMicros: number;
}

function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

/** Prints the benchmark's figures beside its targets. */
export function printReport(
  setting: string,
  rows: LoadRow[],
  ttfb: { rounds: number; direct: Spread; viaMoji: Spread },
): void {
  const header = [
    'run    ',
    'direct req/s',
    'Moji req/s',
    'ratio',
    'p50 direct/Moji ms',
    'p99 direct/Moji ms',
    'Moji CPU ms/req',
  ];
  console.log(`\n${setting}\n`);
  console.log(header.join(' | '));
  for (const { name, direct, viaMoji, mojiCpuMicros } of rows) {
    const cells = [
      name.padEnd(7),
      fixed(direct.requests.average, 0).padStart(12),
      fixed(viaMoji.requests.average, 0).padStart(10),
      `${fixed(viaMoji.requests.average / direct.requests.average)}x`.padStart(5),
      `${direct.latency.p50} / ${viaMoji.latency.p50}`.padStart(18),
      `${direct.latency.p99} / ${viaMoji.latency.p99}`.padStart(18),
      fixed(mojiCpuMicros / 1000 / viaMoji['2xx'], 3).padStart(15),
    ];
    console.log(cells.join(' | '));
  }

  const { direct, viaMoji } = ttfb;
  console.log(`\ntime to first streamed byte, ${ttfb.rounds} sequential streams:`);
  console.log(`  direct   p50 ${fixed(direct.p50, 3)} ms, p99 ${fixed(direct.p99, 3)} ms`);
  console.log(`  via Moji p50 ${fixed(viaMoji.p50, 3)} ms, p99 ${fixed(viaMoji.p99, 3)} ms`);
  console.log(`  Moji adds ${fixed(viaMoji.p50 - direct.p50, 3)} ms at p50`);
  console.log(
    '\ntargets: ratio >= 0.20x, Moji CPU <= 0.5 ms/req, first byte within 1 ms of direct',
  );
}
