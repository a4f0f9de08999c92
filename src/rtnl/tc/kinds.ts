// The qdisc kinds we encode and decode, one module each; adding one is a file
// and a line here (and its words in src/request/tc-qdiscs.ts).
import { fqCodel, type FqCodelSpec } from './fq_codel';
import { htb, type HtbSpec } from './htb';
import { ingress, type IngressSpec } from './ingress';
import type { QdiscKind } from './kind';
import { netem, type NetemSpec } from './netem';
import { prio, type PrioSpec } from './prio';
import { tbf, type TbfSpec } from './tbf';

export type QdiscSpec = TbfSpec | HtbSpec | PrioSpec | FqCodelSpec | NetemSpec | IngressSpec;
export type QdiscKindName = QdiscSpec['kind'];

export const QDISC_KINDS: { readonly [K in QdiscKindName]: QdiscKind<Extract<QdiscSpec, { kind: K }>> } = {
  tbf,
  htb,
  prio,
  fq_codel: fqCodel,
  netem,
  ingress,
};
