// A child process for test/wait.test.ts: waits, with no timeout, for a link in
// the namespace whose path is argv[2], through a socket whose first recv fails
// with ENOBUFS (as after a receive-queue overflow). Prints "enobufs" once that
// happened, then "up <name>" if the link comes up. The test checks that the
// process stays alive after the overflow, waiting (a subscriber that lets the
// event loop go empty would exit here with status 0 and print nothing more).
//
//   node --import tsx test/helpers/wait-child.ts /var/run/netns/NS eth1
import * as fs from 'node:fs';
import { waitForLink } from '../../src/pipework/wait';
import { sys, type Sys, type SysSocket } from '../../src/sys';
import { wrapSocket } from './sys-wrap';

const [nsPath, name] = process.argv.slice(2) as [string, string];
const nsFd = fs.openSync(nsPath, 'r');
let failed = false;

function wrap(real: SysSocket): SysSocket {
  return wrapSocket(real, {
    send: (buf) => real.send(buf),
    recv: (buf) => {
      if (!failed) {
        failed = true;
        process.stdout.write('enobufs\n');
        throw Object.assign(new Error('recv: ENOBUFS: No buffer space available'), { code: 'ENOBUFS', errno: -105, syscall: 'recv' });
      }
      return real.recv(buf);
    },
  });
}

const tap: Sys = {
  name: 'enobufs-once',
  openNetlink: (protocol, fd) => wrap(sys().openNetlink(protocol, fd)),
  openPacket: (ifindex, ethertype, fd) => sys().openPacket(ifindex, ethertype, fd),
  openFile: (path, flags, fd) => sys().openFile(path, flags, fd),
};

waitForLink(name, { nsFd, sys: tap }).then(
  (r) => {
    process.stdout.write(`up ${r.name}\n`);
    fs.closeSync(nsFd);
  },
  (e) => {
    process.stdout.write(`error ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
