// The real CLI against a real Docker engine: the scenario this project started
// from, and its reverse. A `--net none` container given eth0 on bridge br1 with
// an address, a default route and a gratuitous ARP, as the original's
// `pipework br1 -i eth0 test IP/24@GW` does; then `pipework detach -i eth0`,
// which the original lacks (its users scripted `ip link delete` in the
// container's namespace). Every host-side change happens inside a
// throwaway namespace (--host-netns) holding a bridge br1 made beforehand;
// containers run `--net none` busybox. Results are checked from inside the
// container (docker exec ... ip), from the host namespace (ip -j -n ...) and
// through our own decoder (pipework show --json).

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, assertDistFresh, explain, netState, pipework, type CliResult } from './helpers/cli';
import {
  cleanupContainers,
  containerId,
  containerPid,
  createContainer,
  dockerAvailable,
  dockerExec,
  ensureBusyboxImage,
  removeContainer,
  runContainer,
} from './helpers/docker';
import { NetnsScope, ip, ipJson, ipTry, nsExec, uniquePrefix } from './helpers/netns';
import { requireDocker } from './helpers/skip';

const TAG = 'pwdock';
const P = uniquePrefix(TAG); // pwdock-<pid>-
const C1 = `${P}c1`;
const C2 = `${P}c2`;
const STOPPED = `${P}stopped`;
const BRIDGE_MTU = 1400;

const maybe = requireDocker(test);

let scope: NetnsScope | undefined;
let H = ''; // the throwaway "host" namespace, pwdock-<pid>-host
let tmp = '';

function ok(r: CliResult): CliResult {
  assert.is(r.status, 0, explain(r));
  assert.is(r.stderr, '', explain(r));
  return r;
}

/** Exit 1, exactly one line on stderr matching re, nothing on stdout. */
function fails(r: CliResult, re: RegExp): string {
  assert.is(r.status, 1, explain(r));
  assert.is(r.errLines.length, 1, explain(r));
  assert.ok(r.stderr.endsWith('\n'), explain(r));
  assert.match(r.errLines[0]!, re, explain(r));
  assert.is(r.stdout, '', explain(r));
  return r.errLines[0]!;
}

/** Ports of br1 in H, as `ip -j` sees them. */
function ports(): any[] {
  return ipJson(H, 'link', 'show', 'master', 'br1');
}

/** Names of every link in H. */
function hostLinks(): string[] {
  return ipJson<any[]>(H, 'link', 'show').map((l) => l.ifname).sort();
}

/** The container's own view of one interface, from busybox ip: undefined when it has none. */
function inside(c: string, dev: string): { link: string; addrs: string[]; mac: string; mtu: number } | undefined {
  const links = dockerExec(c, 'ip', '-o', 'link').split('\n').filter((l) => new RegExp(`^\\d+: ${dev}[@:]`).test(l));
  if (links.length === 0) return undefined;
  assert.is(links.length, 1, `one ${dev} in ${c}`);
  const link = links[0]!;
  const mac = /link\/ether ([0-9a-f:]{17})/.exec(link)?.[1] ?? '';
  const mtu = Number(/ mtu (\d+)/.exec(link)?.[1]);
  const addrs = dockerExec(c, 'ip', '-o', 'addr', 'show', 'dev', dev)
    .split('\n')
    .map((l) => /\binet6? (.*?)\\?\s+valid_lft/.exec(l)?.[1]?.trim())
    .filter((x): x is string => !!x);
  return { link, addrs, mac, mtu };
}

function routesInside(c: string): string[] {
  return dockerExec(c, 'ip', 'route').split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Removes whatever a test left on br1 or in H (oracle side: ip, in H only), so one failure does not cascade. */
function resetHost(): void {
  for (const l of ports()) ipTry(H, 'link', 'delete', l.ifname);
  for (const name of hostLinks()) if (!['lo', 'br1'].includes(name)) ipTry(H, 'link', 'delete', name);
}

test.before(() => {
  if (!dockerAvailable) return;
  assertDistFresh();
  scope = new NetnsScope(TAG); // deletes pwdock-* namespaces of processes that are gone
  cleanupContainers(TAG); // and their containers
  H = scope.create('host');
  // No IPv6 in H: no link-local addresses coming and going while we compare dumps.
  nsExec(H, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ip(H, 'link', 'add', 'br1', 'type', 'bridge');
  // Pinned: an unset bridge MAC follows its ports, and is zero once the last one leaves.
  ip(H, 'link', 'set', 'br1', 'mtu', String(BRIDGE_MTU), 'address', '02:00:00:00:00:01', 'up');
  ensureBusyboxImage();
  runContainer(C1);
  runContainer(C2);
  createContainer(STOPPED);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), P));
});

test.after(() => {
  if (dockerAvailable) {
    for (const c of [C1, C2, STOPPED]) removeContainer(c);
    cleanupContainers(TAG, true);
  }
  if (scope && H) scope.delete(H);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test.after.each(() => {
  if (dockerAvailable && H) resetHost();
});

/** Starts tcpdump on br1 in H for one ARP frame; resolves with its line (or '' after timeoutMs). */
async function captureArp(timeoutMs = 5000): Promise<{ done: Promise<string> }> {
  const child = spawn('ip', ['netns', 'exec', H, 'tcpdump', '-i', 'br1', '-n', '-t', '-e', '-l', '-c', '1', 'arp'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', () => {
      clearTimeout(t);
      reject(new Error(`tcpdump exited: ${err}`));
    });
  });
  const done = new Promise<string>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(out);
    }, timeoutMs);
    child.on('exit', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
  return { done };
}

maybe('the founding scenario: --net none container, br1 -i eth0 NAME ip/24@gw, checked three ways, then detach', async () => {
  const pid = containerPid(C1);
  const hostSide = `veth0pl${pid}`; // pipework's v<cif>pl<pid>
  assert.is(inside(C1, 'eth0'), undefined, 'a --net none container starts without eth0');
  assert.equal(ports(), []);

  // tcpdump on br1 catches the announcement; it ends after one frame or its timeout.
  const cap = await captureArp();
  const r = ok(pipework(['--host-netns', H, 'br1', '-i', 'eth0', C1, '198.51.100.33/24@198.51.100.1']));
  const arp = await cap.done;
  assert.match(r.stdout, new RegExp(`^attached eth0 .*198\\.51\\.100\\.33/24, default via 198\\.51\\.100\\.1\\) to docker ${C1}; host side ${hostSide} on bridge br1\\n$`));

  // Inside, with the container's own busybox ip.
  const eth0 = inside(C1, 'eth0');
  assert.ok(eth0, 'eth0 exists inside');
  assert.equal(eth0!.addrs, ['198.51.100.33/24 brd 198.51.100.255 scope global eth0']);
  assert.match(eth0!.link, /<[^>]*\bUP\b[^>]*>/);
  assert.is(eth0!.mtu, BRIDGE_MTU, "MTU copied from the bridge's");
  const routes = routesInside(C1);
  assert.ok(routes.includes('default via 198.51.100.1 dev eth0'), routes.join(' | '));
  assert.ok(routes.some((l) => /^198\.51\.100\.0\/24 dev eth0 /.test(l)), routes.join(' | '));

  // Outside: exactly one port on br1, named v<cif>pl<pid>, peer of the container's eth0.
  const p = ports();
  assert.is(p.length, 1, JSON.stringify(p));
  assert.is(p[0].ifname, hostSide);
  assert.is(p[0].mtu, BRIDGE_MTU);
  assert.is(p[0].operstate, 'UP');
  assert.is(p[0].link_index, Number(dockerExec(C1, 'cat', '/sys/class/net/eth0/ifindex')), 'host side points at eth0');
  assert.is(Number(dockerExec(C1, 'cat', '/sys/class/net/eth0/iflink')), p[0].ifindex, 'eth0 points at the host side');

  // The gratuitous ARP, seen on br1: a broadcast from eth0's MAC claiming the address.
  assert.match(arp, new RegExp(`^${eth0!.mac} > ff:ff:ff:ff:ff:ff, ethertype ARP.*198\\.51\\.100\\.33 is-at ${eth0!.mac}`), arp);

  // Through our own decoder.
  const s = ok(pipework(['show', C1, '--json']));
  const shown = JSON.parse(s.stdout);
  assert.is(shown.ok, true);
  assert.equal(shown.result.guest, { kind: 'docker', name: C1, id: containerId(C1), pid });
  const iface = shown.result.interfaces.find((i: any) => i.name === 'eth0');
  assert.ok(iface, s.stdout);
  assert.is(iface.kind, 'veth');
  assert.is(iface.mac, eth0!.mac);
  assert.is(iface.mtu, BRIDGE_MTU);
  assert.is(iface.up, true);
  assert.equal(iface.addresses, ['198.51.100.33/24']);
  assert.equal(
    shown.result.routes.filter((x: any) => x.dev === 'eth0').sort((a: any, b: any) => a.dst.localeCompare(b.dst)),
    [
      { family: 4, dst: '198.51.100.0/24', dev: 'eth0', scope: 'link' },
      { family: 4, dst: 'default', via: '198.51.100.1', dev: 'eth0', scope: 'global' },
    ],
  );

  // The reverse.
  const d = ok(pipework(['--host-netns', H, 'detach', '-i', 'eth0', C1]));
  assert.is(d.stdout, `removed eth0 from container ${C1} and its host side ${hostSide}\n`);
  assert.is(inside(C1, 'eth0'), undefined, 'eth0 is gone inside');
  assert.ok(!routesInside(C1).some((l) => l.includes('eth0')), 'and its routes');
  assert.equal(ports(), []);
  assert.equal(hostLinks(), ['br1', 'lo']);
  const again = ok(pipework(['--host-netns', H, 'detach', '-i', 'eth0', C1]));
  assert.is(again.stdout, `container ${C1} has no interface eth0: nothing to detach\n`);
});

maybe('guests by full id, docker:NAME and an id prefix; a MAC argument and U:myhost.foo.com', () => {
  const id = containerId(C1);
  const pid = containerPid(C1);
  assert.match(id, /^[0-9a-f]{64}$/);

  ok(pipework(['--host-netns', H, 'br1', '-i', 'eth1', id, '198.51.100.34/24', '02:42:C6:33:64:22']));
  let e = inside(C1, 'eth1');
  assert.ok(e);
  assert.is(e!.mac, '02:42:c6:33:64:22');
  assert.equal(e!.addrs, ['198.51.100.34/24 brd 198.51.100.255 scope global eth1']);
  assert.equal(ports().map((l) => l.ifname), [`veth1pl${pid}`]);
  const d1 = ok(pipework(['--host-netns', H, 'detach', '-i', 'eth1', `docker:${C1}`]));
  assert.match(d1.stdout, /^removed eth1 /);
  assert.is(inside(C1, 'eth1'), undefined);
  assert.equal(ports(), []);

  ok(pipework(['--host-netns', H, 'br1', '-i', 'eth1', `docker:${C1}`, '198.51.100.35/24', 'U:myhost.foo.com']));
  e = inside(C1, 'eth1');
  assert.ok(e);
  assert.is(e!.mac, '02:72:6c:cd:9b:8d', 'pipework: 02 + md5("myhost.foo.com\\n")[0..5]');
  assert.equal(e!.addrs, ['198.51.100.35/24 brd 198.51.100.255 scope global eth1']);
  const shown = JSON.parse(ok(pipework(['show', '--json', id])).stdout);
  assert.is(shown.result.interfaces.find((i: any) => i.name === 'eth1')?.mac, '02:72:6c:cd:9b:8d');
  const d2 = ok(pipework(['--host-netns', H, 'detach', '-i', 'eth1', `docker:${id.slice(0, 12)}`]));
  assert.is(d2.stdout, `removed eth1 from container ${C1} and its host side veth1pl${pid}\n`);
  assert.is(inside(C1, 'eth1'), undefined);
  assert.equal(ports(), []);
});

maybe('two containers on one bridge ping each other, both ways', () => {
  ok(pipework(['--host-netns', H, 'br1', C1, '198.51.100.41/24']));
  ok(pipework(['--host-netns', H, 'br1', C2, '198.51.100.42/24']));
  assert.is(ports().length, 2);
  const ping = (from: string, to: string) => {
    const r = spawnSync('docker', ['exec', from, 'ping', '-c', '1', '-W', '2', to], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, `ping ${from} -> ${to}: ${r.stdout} ${r.stderr}`);
    assert.match(r.stdout, /1 packets received/);
  };
  ping(C1, '198.51.100.42');
  ping(C2, '198.51.100.41');
  ok(pipework(['--host-netns', H, 'detach', C1]));
  ok(pipework(['--host-netns', H, 'detach', C2]));
  assert.equal(ports(), []);
  // and once apart, they no longer reach each other
  const r = spawnSync('docker', ['exec', C1, 'ping', '-c', '1', '-W', '1', '198.51.100.42'], { encoding: 'utf8', timeout: 30_000 });
  assert.is.not(r.status, 0);
});

maybe('works with no ip, docker or arping on PATH, and never executes anything', () => {
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.rmSync(path.join(bin, 'node'), { force: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const env = { PATH: bin };
  assert.equal(fs.readdirSync(bin), ['node'], 'the restricted PATH holds node and nothing else');
  const pid = containerPid(C2);

  const a = ok(pipework(['--host-netns', H, 'br1', '-i', 'eth0', C2, '198.51.100.43/24@198.51.100.1'], { env }));
  assert.match(a.stdout, /^attached eth0 /);
  const e = inside(C2, 'eth0');
  assert.ok(e);
  assert.equal(e!.addrs, ['198.51.100.43/24 brd 198.51.100.255 scope global eth0']);
  assert.ok(routesInside(C2).includes('default via 198.51.100.1 dev eth0'));
  assert.equal(ports().map((l) => l.ifname), [`veth0pl${pid}`]);

  const shown = JSON.parse(ok(pipework(['show', '--json', C2], { env })).stdout);
  assert.equal(shown.result.interfaces.find((i: any) => i.name === 'eth0')?.addresses, ['198.51.100.43/24']);

  // Under strace: the only execve is node's own, for show and for detach.
  // strace is found on the test's own PATH: spawnSync looks commands up on the child's.
  const strace = ['/usr/bin/strace', '/bin/strace'].find((p) => fs.existsSync(p));
  const trace = path.join(tmp, 'execve.trace');
  const traced = (argv: string[]) => {
    fs.rmSync(trace, { force: true });
    const r = spawnSync(strace!, ['-f', '-qq', '-e', 'trace=execve,execveat', '-o', trace, process.execPath, BIN, ...argv], {
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
    const execs = fs.readFileSync(trace, 'utf8').split('\n').filter((l) => /execve(at)?\(/.test(l));
    return { r, execs };
  };
  if (strace) {
    const s = traced(['show', C2]);
    assert.is(s.r.status, 0, s.r.stderr);
    assert.is(s.execs.length, 1, s.execs.join('\n'));
    const d = traced(['--host-netns', H, 'detach', '-i', 'eth0', C2]);
    assert.is(d.r.status, 0, d.r.stderr);
    assert.is(d.execs.length, 1, d.execs.join('\n'));
  } else {
    process.stderr.write('  note: strace not installed; checked the restricted PATH only\n');
    ok(pipework(['--host-netns', H, 'detach', '-i', 'eth0', C2], { env }));
  }
  assert.is(inside(C2, 'eth0'), undefined);
  assert.equal(ports(), []);
});

maybe('errors: stopped container, unknown docker: name, unreachable DOCKER_HOST; one line, exit 1, nothing changed (detach of a stopped one: exit 0)', () => {
  const before = netState([H]);
  const attachTo = (guest: string, env?: NodeJS.ProcessEnv) =>
    pipework(['--host-netns', H, 'br1', '-i', 'eth0', guest, '198.51.100.36/24@198.51.100.1'], env ? { env } : {});

  fails(attachTo(STOPPED), new RegExp(`^pipework: container ${STOPPED} is not running$`));
  fails(attachTo(`docker:${STOPPED}`), /not running/);
  // A stopped container has no interfaces of ours: detach (and --all) succeed, saying so.
  for (const argv of [['detach', STOPPED], ['detach', '--all', `docker:${STOPPED}`]]) {
    const r = pipework(['--host-netns', H, ...argv]);
    assert.is(r.status, 0, explain(r));
    assert.is(r.stdout, `container ${STOPPED} is not running: it has no interfaces, so nothing to detach\n`);
  }
  fails(pipework(['show', STOPPED]), /not running/);

  const ghost = `${P}ghost`;
  fails(attachTo(`docker:${ghost}`), new RegExp(`^pipework: no container named ${ghost}$`));
  fails(pipework(['show', `docker:${ghost}`]), /no container/);

  const env = { ...process.env, DOCKER_HOST: 'unix:///nonexistent' };
  fails(attachTo(`docker:${C1}`, env), /\/nonexistent/);
  fails(pipework(['--host-netns', H, 'detach', `docker:${C1}`], { env }), /\/nonexistent/);
  fails(pipework(['show', `docker:${C1}`], { env }), /\/nonexistent/);

  assert.equal(netState([H]), before);
  assert.is(inside(C1, 'eth0'), undefined);
});

maybe('IPv6 into a --net none container (Docker disables IPv6 there): enabled on the new interface alone, address and route work, detach leaves nothing', () => {
  assert.is(dockerExec(C1, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6'), '1', 'this engine disables IPv6 in --net none containers');
  const before = netState([H]);
  const linksBefore = dockerExec(C1, 'ip', '-o', 'link');
  const dry = pipework(['--dry-run', '--host-netns', H, 'br1', '-i', 'eth0', C1, '2001:db8::33/64@2001:db8::1']);
  assert.is(dry.status, 0, explain(dry));
  assert.match(dry.stdout, /sysctl -w net\.ipv6\.conf\.eth0\.disable_ipv6=0$/m);
  const r = pipework(['--json', '--host-netns', H, 'br1', '-i', 'eth0', C1, '2001:db8::33/64@2001:db8::1']);
  assert.is(r.status, 0, explain(r));
  const j = JSON.parse(r.stdout);
  assert.equal(j.result.addresses, ['2001:db8::33/64']);
  assert.is(j.result.announced, 'neighbour-advertisement');
  assert.ok(j.result.notes.some((n: string) => /enabled IPv6 on eth0/.test(n)), JSON.stringify(j.result.notes));
  // Seen from inside the container, with its own tools: the address, the route, and IPv6 still off elsewhere.
  assert.match(dockerExec(C1, 'ip', '-6', 'addr', 'show', 'dev', 'eth0'), /inet6 2001:db8::33\/64 scope global/);
  assert.match(dockerExec(C1, 'ip', '-6', 'route'), /default via 2001:db8::1 dev eth0/);
  assert.is(dockerExec(C1, 'cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6'), '0');
  assert.is(dockerExec(C1, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6'), '1', 'only eth0 was changed');
  assert.is(dockerExec(C1, 'cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6'), '1', 'only eth0 was changed');
  const d = pipework(['--host-netns', H, 'detach', '-i', 'eth0', C1]);
  assert.is(d.status, 0, explain(d));
  assert.equal(netState([H]), before, 'no veth left in H');
  assert.is(dockerExec(C1, 'ip', '-o', 'link'), linksBefore, 'nothing left in the container');
});

test.run();
