import type { Db } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { createUser } from './accounts.ts';
import type { User } from './store.ts';
import { recordFailure, throttledFor } from './throttle.ts';

export interface CitizenRegistration {
  username: string;
  displayName: string;
  email: string;
  /** Optional: a mobile number for text messages. */
  phone?: string;
  password: string;
  locale?: string;
}

const PER_ADDRESS = 10;

/** A person opens an account to apply for services. Limited per address to slow mass sign-ups. */
export async function registerCitizen(db: Db, input: CitizenRegistration, ip: string, requestId: string): Promise<User> {
  const key = `register:ip:${ip}`;
  const wait = await throttledFor(db, [{ key, limit: PER_ADDRESS }]);
  if (wait > 0) throw Problem.tooManyRequests('Too many accounts were opened from this address. Try again later.', wait);
  await recordFailure(db, [key]);
  return createUser(
    db,
    { username: input.username, displayName: input.displayName, email: input.email, phone: input.phone || null, password: input.password, locale: input.locale ?? null, party: { kind: 'person' } },
    { principal: null, requestId },
  );
}
