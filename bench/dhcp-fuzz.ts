// npm run fuzz: millions of DHCP parser cases (FUZZ_CASES, default 3,000,000; FUZZ_SEED).
import { fuzz } from '../test/dhcp-fuzz';
const n = Number(process.env.FUZZ_CASES ?? 3_000_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 0xffffffff);
const t0 = Date.now();
const s = fuzz(n, seed);
console.log(`seed ${seed}: ${s.cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${s.accepted} decoded, the rest rejected:`);
for (const [why, count] of Object.entries(s.rejected).sort((a, b) => b[1] - a[1])) console.log(`  ${count}\t${why}`);
