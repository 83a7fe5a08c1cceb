import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { startMobileMoneySimulator } from './mobile-money.ts';
import { startSmsGatewaySimulator } from './sms-gateway.ts';
import type { Simulator } from './simulator.ts';

export { startMobileMoneySimulator, startSmsGatewaySimulator, type Simulator };

/** A simulator started for the demo, with what it stands in for. */
export type RunningSimulator = Simulator & { name: string };

/**
 * In demo mode a newcomer has no mobile-money contract or SMS gateway: start a simulator, on a
 * port of its own on the same host, for each gateway the configuration leaves unset.
 */
export async function startMissingSimulators(config: Config): Promise<{ config: Config; simulators: RunningSimulator[] }> {
  if (!config.simulators) return { config, simulators: [] };
  const simulators: RunningSimulator[] = [];
  const host = config.host;
  let { mobileMoney, smsGateway } = config;
  if (!mobileMoney) {
    const secret = randomBytes(24).toString('base64url');
    const simulator = await startMobileMoneySimulator({ secret, host });
    simulators.push({ ...simulator, name: 'mobile-money provider (the payer confirms on its page)' });
    mobileMoney = { url: simulator.url, secret };
  }
  if (!smsGateway) {
    const secret = randomBytes(24).toString('base64url');
    const simulator = await startSmsGatewaySimulator({ secret, host });
    simulators.push({ ...simulator, name: 'SMS gateway (its page is a phone inbox)' });
    smsGateway = { url: simulator.url, secret };
  }
  return { config: { ...config, mobileMoney, smsGateway }, simulators };
}
