// npm run fuzz, second part: the OVSDB framing and JSON-RPC message checks on
// random and mutated bytes (FUZZ_CASES, default 1,000,000; FUZZ_SEED), the
// same knobs as bench/dhcp-fuzz.ts.
import { fuzz } from '../test/ovsdb-fuzz';
const n = Number(process.env.FUZZ_CASES ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 0xffffffff);
const t0 = Date.now();
const s = fuzz(n, seed);
console.log(`OVSDB, seed ${seed}: ${s.cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${s.parsed} messages parsed; refused:`);
for (const [why, count] of Object.entries(s.refused).sort((a, b) => b[1] - a[1])) console.log(`  ${count}\t${why}`);
