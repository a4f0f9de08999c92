// The kernel socket filter on the client's AF_PACKET socket: it wakes the
// client only for what could be a DHCP reply, so a busy link costs the
// process nothing. A classic BPF program (linux/filter.h, Documentation/
// networking/filter.rst), run on each frame from its Ethernet header:
//
//   ldh [12]              ethertype
//   jne #0x0800, drop     IPv4 only
//   ldb [23]              IP protocol
//   jne #17, drop         UDP only
//   ldh [20]              flags and fragment offset
//   jset #0x1fff, drop    a later fragment has no UDP header
//   ldxb 4*([14]&0xf)     X = IP header length
//   ldh [x+16]            UDP destination port (14 + 2)
//   jne #68, drop         the BOOTP client port (RFC 2131 §4.1)
//   ret #0x40000          accept, whole frame
//   drop: ret #0
//
// It only narrows: the decoder (packet/dhcp.ts) checks everything again.

const BPF_LD = 0x00;
const BPF_LDX = 0x01;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_H = 0x08;
const BPF_B = 0x10;
const BPF_ABS = 0x20;
const BPF_IND = 0x40;
const BPF_MSH = 0xa0;
const BPF_JEQ = 0x10;
const BPF_JSET = 0x40;
const BPF_K = 0x00;

type Insn = [code: number, jt: number, jf: number, k: number];

/** struct sock_filter[], packed, host (little-endian) byte order. */
export function encodeProgram(insns: readonly Insn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b[i * 8 + 2] = jt;
    b[i * 8 + 3] = jf;
    b.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return b;
}

/** Accepts IPv4 UDP frames to a port (68: the DHCP client's), first fragments only. */
export function udpPortFilter(port: number): Buffer {
  // Jump offsets count instructions after the jump; DROP is the last one (index 10).
  return encodeProgram([
    [BPF_LD | BPF_H | BPF_ABS, 0, 0, 12],
    [BPF_JMP | BPF_JEQ | BPF_K, 0, 8, 0x0800],
    [BPF_LD | BPF_B | BPF_ABS, 0, 0, 23],
    [BPF_JMP | BPF_JEQ | BPF_K, 0, 6, 17],
    [BPF_LD | BPF_H | BPF_ABS, 0, 0, 20],
    [BPF_JMP | BPF_JSET | BPF_K, 4, 0, 0x1fff],
    [BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14],
    [BPF_LD | BPF_H | BPF_IND, 0, 0, 16],
    [BPF_JMP | BPF_JEQ | BPF_K, 0, 1, port],
    [BPF_RET | BPF_K, 0, 0, 0x40000],
    [BPF_RET | BPF_K, 0, 0, 0],
  ]);
}

export const DHCP_CLIENT_FILTER = udpPortFilter(68);
