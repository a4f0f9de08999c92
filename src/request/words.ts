// The keyword grammar iproute2's commands share (`ip route`, `ip rule`, `tc`):
// a list of words read left to right, where a keyword takes the next word as
// its value, some keywords have aliases (`lookup` for `table`, `pref` for
// `priority`), and any word not understood is refused by name. The route,
// rule and tc request modules read their words through this, so that every
// refusal reads the same: one line naming the bad word, and what was expected.
import { usage } from '../errors';
import { show } from './quote';

export class Words {
  private i = 0;

  /** `what` names the command in messages: 'pipework route', 'pipework tc qdisc add'. */
  constructor(
    private readonly words: readonly string[],
    readonly what: string,
  ) {}

  /** The next word, without taking it; undefined at the end. */
  peek(): string | undefined {
    return this.words[this.i];
  }

  get done(): boolean {
    return this.i >= this.words.length;
  }

  /** Takes the next word, which must be there: `expected` says what it should be ('a prefix or default'). */
  next(expected: string): string {
    const w = this.words[this.i];
    if (w === undefined) {
      const after = this.i > 0 ? ` after ${show(this.words[this.i - 1]!)}` : '';
      throw usage(`${this.what}: missing ${expected}${after}`);
    }
    this.i++;
    return w;
  }

  /** Takes the next word if it is one of `choices`. */
  accept<T extends string>(...choices: T[]): T | undefined {
    const w = this.words[this.i];
    if (w !== undefined && (choices as string[]).includes(w)) {
      this.i++;
      return w as T;
    }
    return undefined;
  }

  /** Takes the next word, which must be one of `choices`. */
  oneOf<T extends string>(expected: string, choices: readonly T[]): T {
    const w = this.next(expected);
    if (!(choices as readonly string[]).includes(w)) throw this.bad(w, `${expected}: ${choices.join(', ')}`);
    return w as T;
  }

  /** An error for a word that is not what was expected, naming it. */
  bad(word: string, expected: string): Error {
    return usage(`${this.what}: ${show(word)} is not ${expected}`);
  }

  /** Refuses whatever is left. */
  end(): void {
    const w = this.words[this.i];
    if (w !== undefined) throw usage(`${this.what}: unexpected ${show(w)}`);
  }
}

/**
 * Reads `keyword value` pairs until the words run out, calling the handler
 * the table gives for each keyword (aliases are extra entries pointing to the
 * same handler). A keyword given twice, or a word that is no keyword, is
 * refused by name, listing the keywords `table` knows.
 */
export function keywords(w: Words, table: Readonly<Record<string, (w: Words, keyword: string) => void>>, seen = new Set<(w: Words, k: string) => void>()): void {
  while (!w.done) {
    const k = w.next('a keyword');
    const handler = Object.hasOwn(table, k) ? table[k] : undefined;
    if (!handler) throw w.bad(k, `a keyword here (${Object.keys(table).join(', ')})`);
    if (seen.has(handler)) throw usage(`${w.what}: ${show(k)} given twice`);
    seen.add(handler);
    handler(w, k);
  }
}
