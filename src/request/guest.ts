// The guest argument. What it names is resolved later (src/netns); here only
// what can never name anything is refused.
import { usage } from '../errors';

export function checkGuest(guest: unknown): string {
  if (typeof guest !== 'string') throw usage(`guest must be a string (a container, netns:NAME, pid:PID or a path), not ${typeof guest}`);
  if (guest === '') throw usage('guest is empty: name a container, netns:NAME, pid:PID or a path');
  return guest;
}
