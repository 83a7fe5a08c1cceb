import { E164 } from '../identity/index.ts';

export type Channel = 'email' | 'sms';

const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** Whether `to` is an address the channel can deliver to: an e-mail address, or a mobile number in E.164. */
export function isDeliverable(channel: Channel, to: string): boolean {
  return channel === 'email' ? to.length <= 254 && EMAIL.test(to) : E164.test(to);
}

/**
 * An address shown to someone other than its owner, or written to a log: enough to tell two
 * recipients apart (`a•••@example.org`, `+253••••••56`), not enough to write to them.
 */
export function maskRecipient(to: string): string {
  const at = to.lastIndexOf('@');
  if (at > 0) return `${to[0]}•••${to.slice(at)}`;
  if (to.length <= 6) return '•'.repeat(to.length);
  return `${to.slice(0, 4)}${'•'.repeat(to.length - 6)}${to.slice(-2)}`;
}
