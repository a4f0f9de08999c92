// Tests that watch or break a socket's traffic wrap the real one: every
// method not overridden goes to the real socket.
import type { SysSocket } from '../../src/sys';

export function wrapSocket(real: SysSocket, overrides: Partial<Pick<SysSocket, 'send' | 'recv'>>): SysSocket {
  return {
    get fd() {
      return real.fd;
    },
    send: overrides.send ?? ((buf) => real.send(buf)),
    recv: overrides.recv ?? ((buf) => real.recv(buf)),
    setsockopt: (level, name, value) => real.setsockopt(level, name, value),
    attachFilter: (program) => real.attachFilter(program),
    poll: (onReadable) => real.poll(onReadable),
    pause: () => real.pause(),
    ref: () => real.ref(),
    unref: () => real.unref(),
    close: () => real.close(),
    closeInBackground: () => real.closeInBackground(),
  };
}
