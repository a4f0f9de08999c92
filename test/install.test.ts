// The package as users get it: `npm pack` (its prepack builds the prebuilt
// addon with prebuildify, its prepare compiles dist/) from a copy of the
// sources, then `npm install <tarball>` into a fresh folder with a PATH that
// holds only node, npm and npx: no compiler, no make, no python3, no ip. The
// install must not compile (no build/ in the installed package; node-gyp-build
// took prebuilds/linux-x64/), and the installed CLI and library must work:
// attach a guest in throwaway namespaces (--host-netns), checked here with
// `ip -j`.
//
// Network: the tarball's dependencies (node-gyp-build, node-addon-api, ...)
// come from npm's cache when it holds them (`--offline`; the project's own
// `npm install` fills it), else from the registry (`--prefer-offline`). When
// neither works, the tests are skipped and the reason says so.
//
// Backends: BACKENDS lists the values of PIPEWORK_BACKEND the installed
// package is run with: the one this test run is on when PIPEWORK_BACKEND is
// set (test/run.mjs's ffi pass sets 'ffi'), else the addon. To run both in
// one pass, list both here.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers/cli';
import { NetnsScope, ip, ipJson, netnsInode } from './helpers/netns';
import { requireIf } from './helpers/skip';

const test = suite('install');

/** PIPEWORK_BACKEND values the installed package is run with. */
const BACKENDS: string[] = process.env.PIPEWORK_BACKEND ? [process.env.PIPEWORK_BACKEND] : ['addon'];

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };
const NETWORK_ERRORS = /spawnSync \S+ ETIMEDOUT|ENOTCACHED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|network/;

interface Setup {
  /** The fresh folder the tarball was installed into. */
  app: string;
  /** app/node_modules/<name> */
  pkgDir: string;
  tarball: string;
  tarballBytes: number;
  /** The only directory on PATH: node, npm, npx. */
  bin: string;
  installMs: number;
  installMode: string;
  installOutput: string;
}

let tmp = '';

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.realpathSync(p);
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * The environment of everything run on the user's side: PATH is the bin dir
 * alone; HOME (npm's cache and config), TMPDIR and proxy settings are kept,
 * npm's own variables from an outer `npm test` are not.
 */
function userEnv(bin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: bin };
  for (const k of ['HOME', 'TMPDIR', 'LANG', 'http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  for (const k of ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  return { ...env, ...extra };
}

function must(r: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
  return r;
}

/** Packs and installs; done while the file loads so that a missing network can skip the tests. */
function setUp(): Setup {
  try {
    return packAndInstall();
  } catch (e) {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function packAndInstall(): Setup {
  const npm = which('npm');
  const npx = which('npx');
  if (npm === undefined) throw new Error('npm is not on PATH');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pwinst-'));

  // 1. The maintainer's side: a copy of the sources (not the working tree's
  // build/, dist/ or prebuilds/), packed as `npm publish` would pack it.
  const stage = path.join(tmp, 'stage');
  fs.mkdirSync(stage);
  for (const f of new Set(['package.json', 'tsconfig.json', 'src', ...PKG.files])) {
    const from = path.join(ROOT, f);
    if (['dist', 'prebuilds', 'build'].includes(f.replace(/\/$/, '')) || !fs.existsSync(from)) continue;
    fs.cpSync(from, path.join(stage, f), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'));
  const packEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(lifecycle|package)_/.test(k)));
  must(spawnSync(npm, ['pack', '--pack-destination', tmp], { cwd: stage, env: packEnv, encoding: 'utf8', timeout: 300_000 }), 'npm pack');
  const tarball = path.join(tmp, `${PKG.name}-${PKG.version}.tgz`);

  // 2. The user's side: node, npm and npx, nothing else.
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(npm, path.join(bin, 'npm'));
  if (npx !== undefined) fs.symlinkSync(npx, path.join(bin, 'npx'));
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  // npm 11 warns about (and with --strict-allow-scripts refuses) dependency
  // install scripts the project did not approve in allowScripts, keyed for a
  // tarball by its file: spec; older npm ignores the field. Approved, the
  // install script runs: node-gyp-build must find the prebuild instead of
  // compiling, which this PATH could not do.
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'pwinst-app', version: '1.0.0', private: true, allowScripts: { [`file:${tarball}`]: true } }, null, 2),
  );
  // npm runs scripts through `sh` found on PATH; this PATH has none, so npm
  // is told where the system's shell is (every host has /bin/sh; it is no
  // build tool).
  // A registry that does not answer fails fast instead of npm's 5-minute default.
  const args = [
    'install', tarball, '--no-audit', '--no-fund', '--no-update-notifier', '--foreground-scripts', '--script-shell=/bin/sh',
    '--fetch-retries=0', '--fetch-timeout=20000',
  ];
  let install: SpawnSyncReturns<string> | undefined;
  let installMode = '';
  let installMs = 0;
  for (const mode of ['--offline', '--prefer-offline']) {
    fs.rmSync(path.join(app, 'node_modules'), { recursive: true, force: true });
    fs.rmSync(path.join(app, 'package-lock.json'), { force: true });
    const t = Date.now();
    install = spawnSync(path.join(bin, 'npm'), [...args, mode], { cwd: app, env: userEnv(bin), encoding: 'utf8', timeout: 90_000 });
    installMs = Date.now() - t;
    installMode = mode;
    if (install.status === 0) break;
  }
  if (install!.status !== 0) {
    const text = `${install!.error?.message ?? ''}\n${install!.stdout}\n${install!.stderr}`;
    const why = NETWORK_ERRORS.test(text) ? 'NETWORK: ' : '';
    const code = /npm error code (\S+)/.exec(text)?.[1] ?? install!.error?.message ?? `exit ${install!.status}`;
    throw new Error(`${why}npm install of the tarball failed (${code}): ${text.slice(-1500)}`);
  }
  return {
    app,
    pkgDir: path.join(app, 'node_modules', PKG.name),
    tarball,
    tarballBytes: fs.statSync(tarball).size,
    bin,
    installMs,
    installMode,
    installOutput: `${install!.stdout}\n${install!.stderr}`,
  };
}

const isRoot = process.getuid?.() === 0;
let setup: Setup | undefined;
let setupError: Error | undefined;
if (isRoot) {
  try {
    setup = setUp();
    process.stderr.write(
      `  install: tarball ${(setup.tarballBytes / 1024).toFixed(0)} KiB, npm install ${setup.installMs} ms (${setup.installMode})\n`,
    );
  } catch (e) {
    setupError = e as Error;
  }
}
const offline = setupError !== undefined && setupError.message.startsWith('NETWORK: ');
const maybe = requireIf(
  test,
  isRoot && !offline,
  isRoot
    ? `the tarball's dependencies are neither in npm's cache nor reachable on the registry: ${setupError?.message.split('\n')[0]}`
    : 'not running as root',
);

const scope = new NetnsScope('pwinst');
const H = scope.name('host');

test.before(() => {
  if (setupError && !offline) throw setupError;
  if (!setup) return;
  scope.create('host');
  ip(H, 'link', 'add', 'br0', 'type', 'bridge');
  ip(H, 'link', 'set', 'br0', 'up');
});

test.after(() => {
  scope.cleanup();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

maybe('the tarball carries the prebuilt addon, the compiled CLI and the sources to build from', () => {
  const s = setup!;
  const pkg = s.pkgDir;
  const prebuilds = fs.readdirSync(path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`));
  assert.equal(prebuilds, [`${PKG.name}.glibc.node`]);
  for (const f of ['bin/pipework', 'dist/index.js', 'dist/cli/main.js', 'native/addon.cc', 'binding.gyp', 'README.md']) {
    assert.ok(fs.existsSync(path.join(pkg, f)), `${f} is in the package`);
  }
  assert.not.ok(fs.existsSync(path.join(pkg, 'src')), 'the TypeScript sources are not shipped');
  assert.not.ok(fs.existsSync(path.join(pkg, 'test')), 'the tests are not shipped');
  assert.ok(s.tarballBytes < 512 * 1024, `tarball is ${s.tarballBytes} bytes`);
});

maybe('npm install with only node and npm on PATH compiled nothing: node-gyp-build ran and took the prebuild', () => {
  const s = setup!;
  // the install script ran (npm prints it with --foreground-scripts) and succeeded
  assert.match(s.installOutput, /> node-gyp-build/);
  assert.not.ok(fs.existsSync(path.join(s.pkgDir, 'build')), 'no build/: nothing was compiled');
  assert.equal(fs.readdirSync(s.bin).sort(), fs.existsSync(path.join(s.bin, 'npx')) ? ['node', 'npm', 'npx'] : ['node', 'npm']);
  const chosen = spawnSync(path.join(s.bin, 'node'), ['-p', `require('node-gyp-build').path(${JSON.stringify(s.pkgDir)})`], {
    cwd: s.app,
    env: userEnv(s.bin),
    encoding: 'utf8',
  });
  assert.is(chosen.status, 0, chosen.stderr);
  assert.is(chosen.stdout.trim(), path.join(s.pkgDir, 'prebuilds', `${process.platform}-${process.arch}`, `${PKG.name}.glibc.node`));
});

maybe('with --ignore-scripts too: the prebuild needs no install script', () => {
  const s = setup!;
  const app = path.join(tmp, 'app-noscripts');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'pwinst-app2', version: '1.0.0', private: true }));
  const r = spawnSync(path.join(s.bin, 'npm'), ['install', s.tarball, '--no-audit', '--no-fund', '--ignore-scripts', s.installMode], {
    cwd: app,
    env: userEnv(s.bin),
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.is(r.status, 0, `${r.stdout} ${r.stderr}`);
  const w = spawnSync(path.join(app, 'node_modules', '.bin', 'pipework'), ['--host-netns', H, '--wait', '-i', 'lo', '--timeout', '2'], {
    cwd: app,
    env: userEnv(s.bin),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(w.status, 0, `${w.stdout} ${w.stderr}`);
  assert.is(w.stdout, 'lo is up\n');
  assert.not.ok(fs.existsSync(path.join(app, 'node_modules', PKG.name, 'build')));
});

for (const backend of BACKENDS) {
  const env = () => userEnv(setup!.bin, { PIPEWORK_BACKEND: backend });

  maybe(`[${backend}] the installed CLI attaches and detaches a guest; the library loads the prebuild`, () => {
    const s = setup!;
    const G = scope.create(`g-${backend}`);
    const cliBin = path.join(s.app, 'node_modules', '.bin', 'pipework');
    const run = (...argv: string[]) => {
      const r = spawnSync(cliBin, ['--host-netns', H, ...argv], { cwd: s.app, env: env(), encoding: 'utf8', timeout: 60_000 });
      if (r.error) throw r.error;
      return r;
    };
    let r = run('--json', 'br0', `netns:${G}`, '198.51.100.60/24@198.51.100.1');
    assert.is(r.status, 0, `${r.stdout} ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    const hostSide = `veth1pl${netnsInode(G).toString(36)}`;
    assert.is(out.result.hostSide, hostSide);

    const [link] = ipJson(G, 'addr', 'show', 'dev', 'eth1');
    assert.is(link.operstate, 'UP');
    assert.is(link.address, out.result.mac);
    assert.equal(
      link.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => [a.local, a.prefixlen, a.broadcast]),
      [['198.51.100.60', 24, '198.51.100.255']],
    );
    assert.ok(ipJson(G, 'route', 'show').some((x: any) => x.dst === 'default' && x.gateway === '198.51.100.1'));
    assert.equal(ipJson(H, 'link', 'show', 'master', 'br0').map((l: any) => l.ifname), [hostSide]);

    // The library, from the app: which shared objects did it map?
    const script = `
      const { Pipework } = require(${JSON.stringify(PKG.name)});
      const pw = new Pipework({ hostNetns: ${JSON.stringify(H)} });
      pw.show(${JSON.stringify(`netns:${G}`)}).then((v) => {
        pw.close();
        const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n');
        const natives = [...new Set(maps.map((l) => l.split(/\\s+/)[5]).filter((f) => f && f.endsWith('.node')))];
        console.log(JSON.stringify({ names: v.interfaces.map((i) => i.name), natives }));
      });`;
    const lib = spawnSync(path.join(s.bin, 'node'), ['-e', script], { cwd: s.app, env: env(), encoding: 'utf8', timeout: 60_000 });
    assert.is(lib.status, 0, lib.stderr);
    const seen = JSON.parse(lib.stdout);
    assert.equal(seen.names.sort(), ['eth1', 'lo']);
    if (backend === 'addon') {
      const ours = seen.natives.filter((f: string) => f.startsWith(s.pkgDir));
      assert.equal(ours, [path.join(s.pkgDir, 'prebuilds', `${process.platform}-${process.arch}`, `${PKG.name}.glibc.node`)]);
    }

    r = run('detach', `netns:${G}`);
    assert.is(r.status, 0, `${r.stdout} ${r.stderr}`);
    assert.equal(ipJson(G, 'link', 'show').map((l: any) => l.ifname), ['lo']);
    assert.equal(ipJson(H, 'link', 'show', 'master', 'br0'), []);
  });
}

test.run();
