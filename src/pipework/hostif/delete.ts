// Removing a guest link: the teardown of every kind whose link simply goes
// (a veth takes its host end along; a macvlan has none).
import { change, type Step } from '../plan';
import type { Attachment } from './kind';

export function deleteGuestLink(a: Attachment): Step {
  return change(`delete ${a.link.name} in ${a.who}`, `${a.guestNs.ip}link delete ${a.link.name}`, async () => {
    // By index: whatever holds the name now is not what we looked at.
    if (await (a.bulk ? a.bulk.remove(a) : a.guestNs.deleteLink({ index: a.link.index }))) a.removed();
  });
}
