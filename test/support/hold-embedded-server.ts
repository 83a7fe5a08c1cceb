/**
 * A process that owns an embedded PostgreSQL server until it is signalled, for tests that need
 * the server held by someone else, or orphaned by a SIGKILL:
 *
 *   node --import tsx test/support/hold-embedded-server.ts DATA_DIR PORT
 *
 * Prints one line, "ready", once the server accepts connections; SIGTERM stops it cleanly.
 */
import { startEmbeddedServer } from '../../src/platform/db/embedded-server.ts';
import { createLogger } from '../../src/platform/log.ts';

const [dataDir, port] = process.argv.slice(2);
if (!dataDir || !port) throw new Error('usage: hold-embedded-server.ts DATA_DIR PORT');
const server = await startEmbeddedServer({ dataDir, port: Number(port), log: createLogger('silent') });
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
