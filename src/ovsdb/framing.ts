// OVSDB's wire framing (RFC 7047 section 4): JSON-RPC 1.0 messages, each one
// JSON object, written back to back on the stream with nothing between them
// but optional whitespace. There is no length prefix, so a message ends where
// its outermost brace closes: this splitter tracks brace depth and string
// state byte by byte, then hands each complete text to JSON.parse.
//
// Bytes from the socket are outside input: anything malformed (a non-object
// at top level, bad JSON, invalid UTF-8, a message too large or too deep)
// throws OvsdbParseError and nothing else; the stream is unusable after.

/** The one error the framing and message checks throw. */
export class OvsdbParseError extends Error {
  readonly code = 'OVSDB_PARSE';
  constructor(message: string) {
    super(message);
    this.name = 'OvsdbParseError';
  }
}

/** ovsdb-server's own default limit for one JSON-RPC message is far lower; this only bounds our memory. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Nesting deeper than any OVSDB value (a map of sets of uuids is 5 levels). */
export const MAX_DEPTH = 128;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

export class JsonStream {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the current message starts in buf; -1 between messages. */
  private start = -1;
  private pos = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  /** Feeds bytes; returns the messages they complete, in order. */
  push(chunk: Uint8Array): unknown[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: unknown[] = [];
    const b = this.buf;
    for (; this.pos < b.length; this.pos++) {
      const c = b[this.pos]!;
      if (this.start < 0) {
        if (isSpace(c)) continue;
        if (c !== OPEN_BRACE) throw new OvsdbParseError(`expected a JSON object, got byte 0x${c.toString(16).padStart(2, '0')}`);
        this.start = this.pos;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++this.depth > MAX_DEPTH) throw new OvsdbParseError(`message nested deeper than ${MAX_DEPTH} levels`);
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--this.depth === 0) {
          out.push(this.parse(b.subarray(this.start, this.pos + 1)));
          this.start = -1;
        }
      }
    }
    if (this.start >= 0 && this.pos - this.start > MAX_MESSAGE_BYTES) {
      throw new OvsdbParseError(`message longer than ${MAX_MESSAGE_BYTES} bytes`);
    }
    // Keep only the unfinished message.
    const keep = this.start < 0 ? this.pos : this.start;
    this.buf = b.subarray(keep);
    this.pos -= keep;
    if (this.start >= 0) this.start -= keep;
    return out;
  }

  private parse(bytes: Uint8Array): unknown {
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      throw new OvsdbParseError('message is not valid UTF-8');
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new OvsdbParseError(`message is not valid JSON: ${oneLine((e as Error).message)}`);
    }
  }
}

/** Longest parser explanation kept: V8's quotes a piece of the input, and the peer decides how long that is. */
const MAX_DETAIL = 200;

/**
 * Text the peer chose, made fit for a one-line error: V8's JSON.parse message
 * quotes the bytes around the fault as they are, and a method name or an
 * error's details may hold newlines too. Control and line-breaking characters
 * are escaped (\uXXXX, as JSON would) and the text bounded.
 */
export function oneLine(text: string, max = MAX_DETAIL): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
