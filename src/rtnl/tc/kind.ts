// What a qdisc kind's module provides (one file per kind in this folder):
// the TCA_OPTIONS encoder for its spec, and a decoder giving what `tc -j`
// and `tc qdisc show` print for its options.
import type { MessageBuilder } from '../../netlink';
import type { Clock } from './core';

export interface DecodedOptions {
  /** tc -j's "options" object for this kind. */
  json: Record<string, unknown>;
  /** The options part of tc's one-line form, without a trailing space. */
  text: string;
}

export interface QdiscKind<S extends { kind: string }> {
  kind: S['kind'];
  /** Appends what follows TCA_KIND for this spec (TCA_OPTIONS, usually), as tc lays it out. */
  options(b: MessageBuilder, spec: S, clock: Clock): void;
  /** TCA_OPTIONS's payload (undefined when the kernel sent none) as tc prints it. */
  decode(options: Buffer | undefined, clock: Clock): DecodedOptions;
}

/** Joins printed fields the way tc's "%s " formats leave them: one space apart. */
export function joinText(parts: readonly string[]): string {
  return parts.filter((p) => p !== '').join(' ');
}
