// A real Open vSwitch for tests: ovsdb-server on a database of its own made
// by `ovsdb-tool create`, and ovs-vswitchd inside the test's host namespace
// (the userspace datapath takes its ports from the namespace it runs in),
// every socket, pid file, log and the runtime directory (OVS_RUNDIR, where
// vswitchd puts each bridge's mgmt socket) under one temporary folder. Both
// run in the foreground (no --detach) as our children and are killed by
// their pid. ovs-vsctl and ovs-appctl are the oracle only.
//
//   const ovs = await OvsInstance.start('pwovs', hostNs);
//   ovs.vsctl('add-br', 'ovsbr0', '--', 'set', 'bridge', 'ovsbr0', 'datapath_type=netdev');
//   await ovs.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run, runOk } from './netns';

export const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
export const ovsInstalled = ['ovsdb-server', 'ovs-vswitchd', 'ovsdb-tool', 'ovs-vsctl'].every(
  (c) => run('sh', ['-c', `command -v ${c}`]).status === 0,
) && fs.existsSync(SCHEMA);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Kills daemons a crashed run of this tag left (their folder's owner pid is gone), by the pid files in that folder. */
function cleanupStale(tag: string): void {
  for (const entry of fs.readdirSync(os.tmpdir())) {
    const m = new RegExp(`^${tag}-ovs-(\\d+)-`).exec(entry);
    if (!m || alive(Number(m[1]))) continue;
    const dir = path.join(os.tmpdir(), entry);
    for (const f of ['ovsdb-server.pid', 'ovs-vswitchd.pid']) {
      const pid = Number(fs.readFileSync(path.join(dir, f), { encoding: 'utf8', flag: 'a+' }).trim());
      // Only a process that still has this folder on its command line is ours.
      if (pid > 0 && alive(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class OvsInstance {
  readonly sock: string;
  readonly endpoint: string;
  private server: ChildProcess | undefined;
  private vswitchd: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly hostNs: string,
  ) {
    this.sock = path.join(dir, 'db.sock');
    this.endpoint = `unix:${this.sock}`;
  }

  static async start(tag: string, hostNs: string): Promise<OvsInstance> {
    cleanupStale(tag);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-ovs-${process.pid}-`));
    const ovs = new OvsInstance(dir, hostNs);
    runOk('ovsdb-tool', ['create', path.join(dir, 'conf.db'), SCHEMA]);
    await ovs.startServer();
    ovs.vsctl('--no-wait', 'init');
    await ovs.startVswitchd();
    return ovs;
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir };
  }

  get serverPid(): number | undefined {
    return this.server?.pid;
  }

  get vswitchdPid(): number | undefined {
    return this.vswitchd?.pid;
  }

  /** (Re)starts ovsdb-server on the same database. */
  async startServer(): Promise<void> {
    const d = this.dir;
    fs.rmSync(this.sock, { force: true });
    this.server = spawn(
      'ovsdb-server',
      [path.join(d, 'conf.db'), `--remote=punix:${this.sock}`, `--unixctl=${d}/ovsdb-server.ctl`, `--pidfile=${d}/ovsdb-server.pid`, `--log-file=${d}/ovsdb-server.log`, '--no-chdir'],
      { stdio: 'ignore', env: this.env() },
    );
    await until('ovsdb-server socket', () => fs.existsSync(this.sock));
  }

  async startVswitchd(): Promise<void> {
    const d = this.dir;
    // `ip netns exec` execs the daemon: the child's pid is ovs-vswitchd's own.
    this.vswitchd = spawn(
      'ip',
      ['netns', 'exec', this.hostNs, 'ovs-vswitchd', this.endpoint, `--unixctl=${d}/ovs-vswitchd.ctl`, `--pidfile=${d}/ovs-vswitchd.pid`, `--log-file=${d}/ovs-vswitchd.log`, '--no-chdir'],
      { stdio: 'ignore', env: this.env() },
    );
    await until('ovs-vswitchd control socket', () => fs.existsSync(`${d}/ovs-vswitchd.ctl`));
  }

  /** SIGKILLs ovsdb-server and waits until it is gone. */
  async killServer(): Promise<void> {
    await killChild(this.server);
    this.server = undefined;
  }

  async killVswitchd(): Promise<void> {
    await killChild(this.vswitchd);
    this.vswitchd = undefined;
    fs.rmSync(`${this.dir}/ovs-vswitchd.ctl`, { force: true });
  }

  /** ovs-vsctl on this instance's database (stdout). */
  vsctl(...args: string[]): string {
    return runOk('ovs-vsctl', [`--db=${this.endpoint}`, '--timeout=20', ...args], {});
  }

  /** ovs-vsctl --format=json list/find, as objects keyed by column (maps and sets unwrapped). */
  find(table: string, ...conditions: string[]): Record<string, unknown>[] {
    const out = JSON.parse(this.vsctl('--format=json', 'find', table, ...conditions)) as { headings: string[]; data: unknown[][] };
    return out.data.map((row) => Object.fromEntries(row.map((v, i) => [out.headings[i]!, unwrap(v)])));
  }

  appctl(...args: string[]): string {
    return runOk('ovs-appctl', ['-t', `${this.dir}/ovs-vswitchd.ctl`, ...args]);
  }

  /** Stops both daemons (by pid) and removes the folder. */
  async stop(): Promise<void> {
    await killChild(this.vswitchd);
    await killChild(this.server);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function killChild(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

function unwrap(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  if (v[0] === 'map') return Object.fromEntries((v[1] as [unknown, unknown][]).map(([k, x]) => [k, unwrap(x)]));
  if (v[0] === 'set') return (v[1] as unknown[]).map(unwrap);
  if (v[0] === 'uuid') return v[1];
  return v;
}
