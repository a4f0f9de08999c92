// The text `pipework --help` prints, assembled from the command modules'
// usage lines and paragraphs, so that it cannot drift from what they parse.
import { COMMANDS } from './commands';
import { GLOBALS_HELP } from './globals';
import { EXIT_STATUS_HELP } from './output';

const INTRO = `\
pipework: plumb an extra network interface into a running container, over
rtnetlink (no ip, docker or arping is run).
`;

/**
 * Forms refused later, by planning, with the same exit status 3 (the commands
 * refused here come from the table).
 */
const REFUSED_WHEN_PLANNING: string[] = [];

/** The lines of the Usage block, each starting with 'pipework '. */
export function usageLines(): string[] {
  return [...COMMANDS.flatMap((c) => c.usage), 'pipework --help'];
}

function notSupportedYet(): string {
  const commands = COMMANDS.flatMap((c) => (c.unsupportedYet === undefined ? [] : [c.unsupportedYet]));
  const items = [commands.join(', '), ...REFUSED_WHEN_PLANNING].filter((i) => i !== '');
  if (items.length === 0) return '';
  const text = `Not supported yet (exit 3): ${items.join('; ')}.`;
  // Wrapped at 80 columns like the rest of the text.
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > 79) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  return `${[...lines, current].join('\n')}\n`;
}

/** The full --help text, ending with a newline. */
export function helpText(): string {
  const usage = `Usage:\n${usageLines().map((l) => `  ${l}\n`).join('')}`;
  const paragraphs = COMMANDS.map((c) => c.help).filter((h) => h !== '');
  const examples = COMMANDS.flatMap((c) => c.examples ?? []);
  return [
    INTRO,
    usage,
    ...paragraphs,
    GLOBALS_HELP,
    `Examples:\n${examples.map((e) => `  ${e}\n`).join('')}`,
    notSupportedYet(),
    EXIT_STATUS_HELP,
  ]
    .filter((p) => p !== '')
    .join('\n');
}
