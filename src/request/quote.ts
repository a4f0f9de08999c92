// Arguments inside one-line messages.

/**
 * An argument as it appears in a one-line message: bare when it is plain, else
 * in double quotes with control, separator and other invisible characters
 * escaped, so that no argument can break the line or hide in it.
 */
export function show(arg: string): string {
  if (arg !== '' && !/[\s\p{C}\p{Z}"\\]/u.test(arg)) return arg;
  const escaped = arg.replace(/[\p{C}\p{Z}"\\]/gu, (c) => {
    if (c === ' ') return ' ';
    if (c === '"' || c === '\\') return `\\${c}`;
    const cp = c.codePointAt(0)!;
    return cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\u{${cp.toString(16)}}`;
  });
  return `"${escaped}"`;
}

/** The first line of a message (a reason quoted inside another message must not break it). */
export function firstLine(message: string): string {
  return message.split(/[\r\n\u2028\u2029]/, 1)[0]!;
}
