// ingress (net/sched/sch_ingress.c): no options; tc sends only TCA_KIND, with
// parent TC_H_INGRESS and handle ffff:0 (tc/tc_qdisc.c).
import type { QdiscKind } from './kind';

export interface IngressSpec {
  kind: 'ingress';
}

export const ingress: QdiscKind<IngressSpec> = {
  kind: 'ingress',
  options() {},
  // tc's ingress_print_opt prints a dashed line and no JSON member.
  decode: () => ({ json: {}, text: '----------------' }),
};
