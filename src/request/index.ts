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
export { checkTimeoutMs, parseTimeout } from './timeout';
export { refuseDhcp, refuseHostIfByMac } from './unsupported';
export { show } from './quote';
export { Words, keywords } from './words';
