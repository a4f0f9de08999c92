// The few Open vSwitch operations pipework needs, on the Open_vSwitch schema
// (ovs-vswitchd.conf.db(5)), each one transaction: what `ovs-vsctl add-br`,
// `add-port ... tag=V -- set Interface ... external-ids:...`, `del-port` and
// `list-br` do. Bridge, Port and Interface are not root tables: a row nobody
// references is garbage-collected at commit, so a port exists exactly while
// its bridge's `ports` column holds it. Like ovs-vsctl, removals also delete
// the rows explicitly, so that the result counts say what went.
import { OvsdbClient, type ConnectOptions } from './client';
import {
  comment,
  del,
  insert,
  map,
  mapOf,
  members,
  mutate,
  namedUuid,
  optionalInt,
  optionalString,
  select,
  set,
  transact,
  TransactionError,
  uuid,
  uuidOf,
  wait,
  type Op,
  type Row,
} from './transact';

export interface BridgeRow {
  uuid: string;
  name: string;
  /** Port uuids. */
  ports: string[];
  datapathType: string;
}

export interface PortRow {
  uuid: string;
  name: string;
  interfaces: string[];
  tag?: number | undefined;
}

export interface InterfaceRow {
  uuid: string;
  name: string;
  externalIds: Record<string, string>;
  /** Set by ovs-vswitchd once it has the device: -1 when it failed (error says why). */
  ofport?: number | undefined;
  error?: string | undefined;
}

/** A port as pipework sees it: its row, its one interface, and the bridge that holds it. */
export interface PortView {
  port: PortRow;
  iface: InterfaceRow | undefined;
  bridge: BridgeRow | undefined;
}

/** Connects, runs fn, closes: one connection per use, so nothing lingers when an operation stops halfway. */
export async function withOvsdb<T>(path: string, fn: (db: OvsdbClient) => Promise<T>, options?: ConnectOptions): Promise<T> {
  const db = await OvsdbClient.connect(path, options);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

const BRIDGE_COLUMNS = ['_uuid', 'name', 'ports', 'datapath_type'];
const PORT_COLUMNS = ['_uuid', 'name', 'interfaces', 'tag'];
const IFACE_COLUMNS = ['_uuid', 'name', 'external_ids', 'ofport', 'error'];

const bridgeRow = (r: Record<string, unknown>): BridgeRow => ({
  uuid: uuidOf(r._uuid) ?? '',
  name: String(r.name),
  ports: members(r.ports).map(uuidOf).filter((u): u is string => !!u),
  datapathType: typeof r.datapath_type === 'string' ? r.datapath_type : '',
});
const portRow = (r: Record<string, unknown>): PortRow => ({
  uuid: uuidOf(r._uuid) ?? '',
  name: String(r.name),
  interfaces: members(r.interfaces).map(uuidOf).filter((u): u is string => !!u),
  tag: optionalInt(r.tag),
});
const ifaceRow = (r: Record<string, unknown>): InterfaceRow => ({
  uuid: uuidOf(r._uuid) ?? '',
  name: String(r.name),
  externalIds: mapOf(r.external_ids),
  ofport: optionalInt(r.ofport),
  error: optionalString(r.error),
});

/** The bridge of that name, or undefined: `ovs-vsctl list-br | grep -x NAME`, as the original asks. */
export async function findBridge(db: OvsdbClient, name: string): Promise<BridgeRow | undefined> {
  const [r] = await transact(db, `look up bridge ${name}`, [select('Bridge', [['name', '==', name]], BRIDGE_COLUMNS)]);
  const row = r!.rows?.[0];
  return row ? bridgeRow(row) : undefined;
}

/**
 * `ovs-vsctl add-br NAME -- set Bridge NAME datapath_type=D`: the bridge, its
 * local port and internal interface of the same name, and its place in the
 * Open_vSwitch row, in one transaction. When a concurrent attach made it
 * first (the name index refuses a second), that one is used: created false.
 */
export async function createBridge(db: OvsdbClient, name: string, datapathType: string, note: string): Promise<{ bridge: BridgeRow; created: boolean }> {
  const ops: Op[] = [
    // The root row must exist, or the new bridge would be collected at commit, silently.
    wait('Open_vSwitch', [], [], '!=', [], 0),
    insert('Interface', { name, type: 'internal' }, 'iface'),
    insert('Port', { name, interfaces: namedUuid('iface') }, 'port'),
    insert('Bridge', { name, ports: namedUuid('port'), datapath_type: datapathType }, 'bridge'),
    mutate('Open_vSwitch', [], [['bridges', 'insert', set(namedUuid('bridge'))]]),
    comment(note),
  ];
  let created = true;
  try {
    await transact(db, `create bridge ${name}`, ops);
  } catch (e) {
    if (!(e instanceof TransactionError)) throw e;
    if (e.ovsdbError === 'timed out') {
      throw new TransactionError(e.ovsdbError, 'Open vSwitch database has no Open_vSwitch row: it was never initialised (`ovs-vsctl init` does that)');
    }
    if (e.ovsdbError !== 'constraint violation') throw e;
    created = false;
  }
  const bridge = await findBridge(db, name);
  if (!bridge) throw new TransactionError('', `bridge ${name} was not in Open vSwitch's database right after it was created`);
  return { bridge, created };
}

/**
 * Removes a bridge this attach created (its rollback), only while its one
 * port is still its own local port: a port someone added since makes the
 * wait fail, and the bridge stays. True when it went.
 */
export async function removeCreatedBridge(db: OvsdbClient, bridge: BridgeRow, note: string): Promise<boolean> {
  const where: [string, '==', ['uuid', string]][] = [['_uuid', '==', uuid(bridge.uuid)]];
  const local = bridge.ports[0];
  if (bridge.ports.length !== 1 || !local) return false;
  try {
    const r = await transact(db, `remove bridge ${bridge.name}`, [
      wait('Bridge', where, ['ports'], '==', [{ ports: uuid(local) }], 0),
      mutate('Open_vSwitch', [], [['bridges', 'delete', set(uuid(bridge.uuid))]]),
      del('Bridge', where),
      del('Port', [['_uuid', '==', uuid(local)]]),
      del('Interface', [['name', '==', bridge.name]]),
      comment(note),
    ]);
    return (r[2]?.count ?? 0) > 0;
  } catch (e) {
    if (e instanceof TransactionError && e.ovsdbError === 'timed out') return false;
    throw e;
  }
}

export interface NewPort {
  bridge: string;
  name: string;
  tag?: number | undefined;
  /** The Interface's external_ids. */
  externalIds: Record<string, string>;
  note: string;
}

/**
 * `ovs-vsctl add-port BR NAME [tag=V] -- set Interface NAME external-ids:...`:
 * the Interface and Port rows, referenced from the bridge, in one
 * transaction that first waits (not at all: timeout 0) for the bridge to be
 * there, so that a bridge removed meanwhile fails it instead of leaving rows
 * nobody references. A port or interface of that name already there fails it
 * on the name index. Returns the new rows' uuids.
 */
export async function addPort(db: OvsdbClient, p: NewPort): Promise<{ port: string; iface: string }> {
  const onBridge: [string, '==', string][] = [['name', '==', p.bridge]];
  const portRowValue: Row = { name: p.name, interfaces: namedUuid('iface') };
  if (p.tag !== undefined) portRowValue.tag = p.tag;
  try {
    const r = await transact(db, `add port ${p.name} to bridge ${p.bridge}`, [
      wait('Bridge', onBridge, ['name'], '==', [{ name: p.bridge }], 0),
      insert('Interface', { name: p.name, external_ids: map(p.externalIds) }, 'iface'),
      insert('Port', portRowValue, 'port'),
      mutate('Bridge', onBridge, [['ports', 'insert', set(namedUuid('port'))]]),
      comment(p.note),
    ]);
    const iface = uuidOf(r[1]!.uuid);
    const port = uuidOf(r[2]!.uuid);
    if (!iface || !port) throw new TransactionError('', `Open vSwitch database answered the new port ${p.name} without its uuids`);
    return { port, iface };
  } catch (e) {
    if (e instanceof TransactionError && e.ovsdbError === 'timed out') {
      throw new TransactionError(e.ovsdbError, `bridge ${p.bridge} is not in Open vSwitch's database (any more)`);
    }
    if (e instanceof TransactionError && e.ovsdbError === 'constraint violation') {
      throw new TransactionError(e.ovsdbError, `Open vSwitch already has a port or interface named ${p.name}`);
    }
    throw e;
  }
}

/** `ovs-vsctl del-port`: off its bridge and both rows deleted, in one transaction. False when it was gone already. */
export async function removePort(db: OvsdbClient, p: { port: string; iface?: string | undefined; name: string }, note: string): Promise<boolean> {
  const ops: Op[] = [
    mutate('Bridge', [['ports', 'includes', set(uuid(p.port))]], [['ports', 'delete', set(uuid(p.port))]]),
    del('Port', [['_uuid', '==', uuid(p.port)]]),
  ];
  if (p.iface) ops.push(del('Interface', [['_uuid', '==', uuid(p.iface)]]));
  ops.push(comment(note));
  const r = await transact(db, `remove port ${p.name}`, ops);
  return (r[1]?.count ?? 0) > 0;
}

/** The port of that name with its interface and bridge, or undefined. */
export async function portNamed(db: OvsdbClient, name: string): Promise<PortView | undefined> {
  const [ports, ifaces, bridges] = await transact(db, `look up port ${name}`, [
    select('Port', [['name', '==', name]], PORT_COLUMNS),
    select('Interface', [['name', '==', name]], IFACE_COLUMNS),
    select('Bridge', [], BRIDGE_COLUMNS),
  ]);
  const p = ports!.rows?.[0];
  if (!p) return undefined;
  const port = portRow(p);
  const iface = (ifaces!.rows ?? []).map(ifaceRow).find((i) => port.interfaces.includes(i.uuid));
  const bridge = (bridges!.rows ?? []).map(bridgeRow).find((b) => b.ports.includes(port.uuid));
  return { port, iface, bridge };
}

/** Every port whose interface carries `key` in its external_ids, with its bridge: how gc finds what pipework added. */
export async function portsWithExternalId(db: OvsdbClient, key: string): Promise<PortView[]> {
  const [ports, ifaces, bridges] = await transact(db, `list ports`, [
    select('Port', [], PORT_COLUMNS),
    select('Interface', [], IFACE_COLUMNS),
    select('Bridge', [], BRIDGE_COLUMNS),
  ]);
  const byUuid = new Map((ifaces!.rows ?? []).map(ifaceRow).map((i) => [i.uuid, i]));
  const allBridges = (bridges!.rows ?? []).map(bridgeRow);
  return (ports!.rows ?? [])
    .map(portRow)
    .map((port) => ({ port, iface: byUuid.get(port.interfaces[0] ?? ''), bridge: allBridges.find((b) => b.ports.includes(port.uuid)) }))
    .filter((v) => v.iface !== undefined && key in v.iface.externalIds);
}

/**
 * Waits, inside the server (a wait operation with a timeout), until
 * ovs-vswitchd has set the interface's ofport: a port number when it took
 * the device, -1 with `error` when it could not. Undefined when the row is gone.
 */
export async function waitForOfport(db: OvsdbClient, iface: string, name: string, timeoutMs: number): Promise<InterfaceRow | undefined> {
  const where: [string, '==', ['uuid', string]][] = [['_uuid', '==', uuid(iface)]];
  try {
    const r = await transact(
      db,
      `wait for ovs-vswitchd to take ${name}`,
      [wait('Interface', where, ['ofport'], '!=', [{ ofport: set() }], timeoutMs), select('Interface', where, IFACE_COLUMNS)],
      // The server holds the answer up to timeoutMs: our bound on silence comes after it.
      timeoutMs + 5_000,
    );
    const row = r[1]!.rows?.[0];
    return row ? ifaceRow(row) : undefined;
  } catch (e) {
    if (e instanceof TransactionError && e.ovsdbError === 'timed out') {
      throw new TransactionError(e.ovsdbError, `ovs-vswitchd did not take port ${name} within ${timeoutMs} ms (is ovs-vswitchd running, in this host namespace?)`);
    }
    throw e;
  }
}
