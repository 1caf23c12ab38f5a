// The plugin executable's entry point: `main.ts incus` or `main.ts tls`.
import { simulatedProvider } from './schema.js';
import { serveAsPlugin } from './server.js';

await serveAsPlugin(simulatedProvider(process.argv[2] ?? ''));
