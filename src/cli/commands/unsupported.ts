// Commands of the original this version recognises but does not do yet. Each
// is refused as a whole (code UNSUPPORTED, exit 3), whatever follows it; a
// real implementation replaces its line in the command table.
import { unsupported } from '../../errors';
import type { Command } from '../command';

export function unsupportedCommand(word: string, what: string): Command<never, never> {
  return {
    op: word,
    word,
    usage: [],
    help: '',
    options: [],
    unsupportedYet: word,
    parse() {
      throw unsupported(`the ${word} command (${what})`);
    },
    run: () => Promise.reject(new Error(`${word} cannot run`)),
    format: () => '',
  };
}
