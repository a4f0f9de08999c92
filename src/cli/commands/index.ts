// The command table: the order is the help's. Adding a command is a file
// under commands/ and a line here.
import type { AnyCommand } from '../command';
import { attachCommand } from './attach';
import { batchCommand } from './batch';
import { detachCommand } from './detach';
import { gcCommand } from './gc';
import { routeCommand } from './route';
import { ruleCommand } from './rule';
import { showCommand } from './show';
import { tcCommand } from './tc';
import { waitCommand } from './wait';

export const COMMANDS: readonly AnyCommand[] = [
  attachCommand,
  detachCommand,
  showCommand,
  gcCommand,
  waitCommand,
  // The original runs these as `ip netns exec <pid> ip route|ip rule|tc ...`.
  routeCommand,
  ruleCommand,
  tcCommand,
  batchCommand,
];

/** The command when the first word is no other's: the original's attach. */
export const DEFAULT_COMMAND: AnyCommand = attachCommand;
