// Frames as pure functions of their inputs: no sockets here (DESIGN.md).
export * from './ethernet';
export * from './ip';
export * from './checksum';
export * from './arp';
export * from './ndp';
