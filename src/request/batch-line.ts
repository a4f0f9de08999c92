// One line of a batch file (`pipework --batch FILE`) to the words a shell
// would have passed to `pipework`. Pure. The subset of POSIX sh's token
// recognition (XCU 2.3, 2.2 Quoting) a command line of ours needs:
//
//   words split on unquoted blanks (space, tab);
//   '...'   everything literal up to the next single quote;
//   "..."   literal, except \" \\ \$ \` which stand for the second character
//           (a backslash before anything else stays, as sh keeps it);
//   \c      outside quotes: c itself;
//   #       at the start of a word: the rest of the line is a comment.
//
// No expansion happens ($VAR, $(...), globs, ~ stay as written), so the
// characters that would make a shell do something else — ; | & < > ( ) ` and
// $ — are refused unquoted rather than silently taken literally. A line is
// one command: no continuation with a trailing backslash.
import { usage } from '../errors';

/** Refused unquoted: in a shell each would be an operator or an expansion. */
const OPERATORS = new Set([';', '|', '&', '<', '>', '(', ')', '`', '$']);
/** Inside double quotes, a backslash escapes only these (XCU 2.2.3). */
const DQ_ESCAPES = new Set(['"', '\\', '$', '`']);

/** The words of one line; [] for a blank line or a comment. Throws USAGE naming the column. */
export function splitBatchLine(line: string): string[] {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const words: string[] = [];
  let word: string | undefined; // undefined: between words ('' is an empty quoted word)
  let i = 0;
  const at = () => `column ${i + 1}`;
  // Neither can be in an argument a shell passes on.
  const bad = text.search(/[\0\n]/);
  if (bad >= 0) throw usage(`a ${text[bad] === '\0' ? 'NUL byte' : 'newline'} at column ${bad + 1}`);
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw usage(`unterminated ' quote at ${at()}`);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw usage(`unterminated " quote at ${at()}`);
        const d = text[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < text.length && DQ_ESCAPES.has(text[j + 1]!)) {
          s += text[j + 1];
          j += 2;
        } else {
          s += d;
          j++;
        }
      }
      word = (word ?? '') + s;
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw usage(`a backslash ends the line at ${at()}: a batch line is one command, without continuation`);
      word = (word ?? '') + text[i + 1];
      i += 2;
    } else if (OPERATORS.has(c)) {
      throw usage(`unquoted ${c} at ${at()}: a batch line is one pipework command, without shell operators or expansions (quote it to mean it literally)`);
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** A word written so that splitBatchLine gives it back: for tests, and for printing a line. */
export function quoteBatchWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
