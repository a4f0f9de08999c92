// Open vSwitch through its database (RFC 7047), with no ovs-vsctl: framing
// and messages (framing.ts, rpc.ts), the connection (client.ts), operations
// and transactions (transact.ts), and the Open_vSwitch schema's few
// operations pipework needs (vswitch.ts).
export { JsonStream, OvsdbParseError, MAX_DEPTH, MAX_MESSAGE_BYTES } from './framing';
export { classify, errorText, type RpcMessage } from './rpc';
export { OvsdbClient, DEFAULT_TIMEOUT_MS, type ConnectOptions } from './client';
export { TransactionError, transact, type Op, type OpResult } from './transact';
export { DEFAULT_OVSDB_SOCKET, ovsdbEndpoint, parseOvsdbEndpoint, type OvsdbEndpoint } from './endpoint';
export * from './vswitch';
