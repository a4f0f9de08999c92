// --host-netns NS: the namespace that stands for the host (a name from
// `ip netns`, or a path). Whether it exists is found out when it is opened.
import { usage } from '../errors';
import { show } from './quote';

export function checkHostNetns(value: string): string {
  if (value === '') throw usage('--host-netns needs a namespace name or path, got an empty one');
  if (value.includes('\0')) throw usage(`--host-netns ${show(value)} contains a NUL byte`);
  // `ip netns` names are files under /run/netns: '.' and '..' would be that directory or its parent.
  if (!value.includes('/') && (value === '.' || value === '..')) {
    throw usage(`--host-netns ${show(value)} is not a namespace name`);
  }
  return value;
}
