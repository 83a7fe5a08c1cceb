import type { GatewayConfig } from '../../../config.ts';
import { mobileMoneyProvider } from './mobile-money.ts';
import type { PaymentProvider } from './provider.ts';

/** The online provider the configuration names: mobile money when MOBILE_MONEY_URL is set. Bank transfer and cash need none. */
export function configuredProvider(mobileMoney: GatewayConfig | undefined): PaymentProvider | null {
  return mobileMoney ? mobileMoneyProvider(mobileMoney) : null;
}
