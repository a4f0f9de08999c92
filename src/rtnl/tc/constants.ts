// Traffic-control constants (linux/rtnetlink.h, linux/pkt_sched.h), shared by
// the tcmsg framing and the qdisc kinds.
export const RTM_NEWQDISC = 36;
export const RTM_DELQDISC = 37;
export const RTM_GETQDISC = 38;
export const RTM_NEWTCLASS = 40;
export const RTM_DELTCLASS = 41;
export const RTM_GETTCLASS = 42;

export const TCA_KIND = 1;
export const TCA_OPTIONS = 2;
export const TCA_HW_OFFLOAD = 12;
export const TCA_INGRESS_BLOCK = 13;
export const TCA_EGRESS_BLOCK = 14;

export const TC_H_UNSPEC = 0;
export const TC_H_ROOT = 0xffffffff;
export const TC_H_INGRESS = 0xfffffff1;
/** TC_H_MAKE(TC_H_INGRESS, 0): the handle tc gives every ingress qdisc. */
export const INGRESS_HANDLE = 0xffff0000;

export const TC_H_MAJ = (h: number): number => (h & 0xffff0000) >>> 0;
export const TC_H_MIN = (h: number): number => h & 0xffff;
