// Frames as pure functions of their inputs: no sockets here. The caller sends
// them, so every encoder and decoder is tested byte for byte with no kernel.
export * from './ethernet';
export * from './ip';
export * from './checksum';
export * from './arp';
export * from './ndp';
export * from './udp';
export * from './dhcp';
