export * from './addr';
export * from './constants';
export * from './link';
export * from './route';
export * from './nsid';
export * from './kinds/macvlan';
export * from './rule';
