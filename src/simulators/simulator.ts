/** An outside service Daftari talks to (mobile-money provider, SMS gateway), run here for demos and tests. */
export interface Simulator {
  /** Its base URL, for MOBILE_MONEY_URL / SMS_GATEWAY_URL. */
  url: string;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  /** Shared secret: signs callbacks to Daftari and checks Daftari's calls. */
  secret: string;
  port?: number;
  host?: string;
}
