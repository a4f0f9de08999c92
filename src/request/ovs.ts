// The Open vSwitch options: `--ovsdb unix:PATH` (the database's socket, as
// ovs-vsctl's --db names it) and `--ovs-datapath system|netdev` (the
// datapath of a bridge pipework creates).
import { usage } from '../errors';
import { parseOvsdbEndpoint } from '../ovsdb/endpoint';
import { show } from './quote';
import { OVS_DATAPATHS, type OvsDatapath } from './types';

export function checkOvsdb(text: unknown): string {
  if (typeof text !== 'string') throw usage(`--ovsdb needs unix:/path/to/db.sock, got ${show(String(text))}`);
  parseOvsdbEndpoint(text);
  return text;
}

export function parseOvsDatapath(text: unknown): OvsDatapath {
  if (typeof text === 'string' && (OVS_DATAPATHS as readonly string[]).includes(text)) return text as OvsDatapath;
  throw usage(`--ovs-datapath ${show(String(text))}: give ${OVS_DATAPATHS.join(' or ')}`);
}
