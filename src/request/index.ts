// The request layer: the one place that refuses bad input, for the CLI and
// the library alike. Pure: no I/O.
export * from './types';
export { attachRequest, type AttachOptions } from './attach';
export { detachRequest, type DetachOptions } from './detach';
export { showRequest, type ShowOptions } from './show';
export { gcRequest, type GcOptions } from './gc';
export { waitRequest, type WaitRequestOptions } from './wait';
export { DEFAULT_GUEST_IF, IFNAMSIZ, NAME_LABEL, checkInterfaceName } from './names';
export { checkFamily, parseAddressArgument, type AddressArgument } from './address';
export { checkTag, tagText, macFromString, normaliseMac, parseMacArgument, parseVlan, type MacArgument } from './mac';
export { isPkeyText, parsePkey } from './pkey';
export { parseIpvlanMode } from './ipvlan';
export { checkGuest } from './guest';
export { checkHostNetns } from './host-netns';
export { parseMacvlanMode } from './macvlan';
export { checkOvsdb, parseOvsDatapath } from './ovs';
export { checkTimeoutMs, parseTimeout } from './timeout';
export { DEFAULT_DHCP_TIMEOUT_MS, DHCP_OPTIONS_HELP, isDhcpKeyword, parseDhcp, parseDhcpTimeout } from './dhcp';
export { BY_MAC, parseHostIf, type HostIfArgument } from './hostif';
export { show } from './quote';
export { Words, keywords } from './words';
export { tcRequest, tcCommand, type TcRequest, type TcQdiscRequest, type TcClassRequest, type TcShowRequest } from './tc';
export { routeRequest, routeWords, type RouteRequest, type RouteOptions, type RouteCommand } from './route';
export { ruleRequest, ruleWords, type RuleRequest, type RuleOptions, type RuleCommand } from './rule';
export { batchRequest, parseParallel, MAX_PARALLEL, type BatchRequest } from './batch';
export { splitBatchLine, quoteBatchWord } from './batch-line';
