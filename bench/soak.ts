// Soak: attach/detach cycles through the library, watching for leaks. A
// throwaway host namespace with bridge br0 and one namespace guest; each
// cycle attaches eth1 (an address from 198.18.0.0/15, RFC 2544) and detaches
// it. Every SAMPLE cycles it prints RSS, V8's heap (committed and used),
// external (Buffers and native memory Node knows of) and open file descriptors (/proc/self/fd), after a
// GC when node runs with --expose-gc. No assertion: figures only.
//
//   node --expose-gc --import tsx bench/soak.ts [CYCLES] [--sample N] [--backend addon|ffi]
//
// Namespaces are pwsoak-<pid>-*, removed at the end, also on failure.
import * as fs from 'node:fs';
import { Pipework } from '../src';
import { NetnsScope, ip, ipJson } from '../test/helpers/netns';

function args(argv: string[]): { cycles: number; sample: number } {
  let cycles = 10_000;
  let sample = 500;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--sample') sample = Number(argv[++i]);
    else if (a === '--backend') process.env.PIPEWORK_BACKEND = argv[++i];
    else cycles = Number(a);
  }
  if (!Number.isInteger(cycles) || cycles < 1 || !Number.isInteger(sample) || sample < 1) throw new Error('usage: soak.ts [CYCLES] [--sample N] [--backend addon|ffi]');
  return { cycles, sample };
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number): string => (n / 1048576).toFixed(1).padStart(8);

function row(cycle: number, t0: number): string {
  gc?.();
  const m = process.memoryUsage();
  const fds = fs.readdirSync('/proc/self/fd').length;
  const secs = ((Date.now() - t0) / 1000).toFixed(0).padStart(6);
  return `${String(cycle).padStart(7)} ${mb(m.rss)} ${mb(m.heapTotal)} ${mb(m.heapUsed)} ${mb(m.external)} ${String(fds).padStart(5)} ${secs}`;
}

async function main(): Promise<void> {
  const { cycles, sample } = args(process.argv.slice(2));
  const scope = new NetnsScope('pwsoak');
  try {
    const host = scope.create('host');
    const guest = scope.create('guest');
    for (const ns of [host, guest]) ip(ns, 'link', 'set', 'lo', 'up');
    ip(host, 'link', 'add', 'br0', 'type', 'bridge');
    ip(host, 'link', 'set', 'br0', 'up');
    const pw = new Pipework({ hostNetns: host });
    const { sys } = await import('../src/sys');
    console.log(`soak: ${cycles} attach/detach cycles, backend ${sys().name}, gc ${gc ? 'after each sample' : 'not exposed (run node --expose-gc)'}`);
    console.log(' cycles   rss MB heapTot MB heapUsed  ext MB   fds   secs');
    const t0 = Date.now();
    console.log(row(0, t0));
    for (let c = 1; c <= cycles; c++) {
      await pw.attach({ hostIf: 'br0', guest: `netns:${guest}`, address: '198.18.0.10/15' });
      await pw.detach({ guest: `netns:${guest}` });
      if (c % sample === 0) console.log(row(c, t0));
    }
    // the work was done: the guest holds only lo, the bridge no port
    const left = (ipJson(guest, 'link', 'show') as Array<{ ifname: string }>).map((l) => l.ifname);
    const ports = (ipJson(host, 'link', 'show', 'master', 'br0') as unknown[]).length;
    console.log(`after: guest links ${left.join(',')}; bridge ports ${ports}`);
  } finally {
    scope.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
