export * from './attributes';
export * from './constants';
export * from './message';
export * from './socket';
