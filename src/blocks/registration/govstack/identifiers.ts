import { createHash } from 'node:crypto';

/**
 * GovStack names services by UUID; Daftari by a readable id (`business-licence`). The UUID is
 * derived from the id (RFC 9562 version 5, in a namespace of our own), so it is the same on
 * every node and across versions, and needs no table to keep.
 */
const SERVICE_NAMESPACE = Buffer.from('6f1c2a8e4b3d4e7f9a0b5c6d7e8f9a01', 'hex');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SERVICE_ID = /^[a-z][a-z0-9-]{0,62}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function serviceUuid(serviceId: string): string {
  const hash = createHash('sha1').update(SERVICE_NAMESPACE).update(serviceId, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether a GovStack `serviceId` (our UUID, or our own id, which we accept too) names this service. */
export function namesService(given: string, serviceId: string): boolean {
  return given === serviceId || given.toLowerCase() === serviceUuid(serviceId);
}

/** Our own id for a GovStack `serviceId`, when it is one; a UUID (which may look like one) has to be matched with `namesService`. */
export function ownServiceId(given: string): string | null {
  return SERVICE_ID.test(given) && !isUuid(given) ? given : null;
}

/** A service's form is the form of one published version of its definition: `business-licence@2`. */
export function eFormIdOf(serviceId: string, version: number): string {
  return `${serviceId}@${version}`;
}

export function parseEFormId(eFormId: string): { serviceId: string; version: number } | null {
  const match = /^([a-z][a-z0-9-]{0,62})@([1-9][0-9]{0,6})$/.exec(eFormId);
  return match ? { serviceId: match[1]!, version: Number(match[2]) } : null;
}
