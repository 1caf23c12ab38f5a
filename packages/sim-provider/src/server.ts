import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SimulatedDaemon, type SimulatedCluster } from './daemon.js';
import { IncusRefusal, ProviderBehaviour, type Diagnostic } from './provider.js';
import { schemaMessage, type SimulatedProvider } from './schema.js';
import { decodeValue, encodeValue, type Value } from './values.js';
import { pem, selfSignedCertificate } from './x509.js';

const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));
const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync(['tfplugin6.proto', 'grpc_controller.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  }),
);

/** A service of the loaded protos, e.g. `tfplugin6.Provider`. */
function protoService(pkg: string, name: string): grpc.ServiceDefinition {
  const found = (loaded[pkg] as grpc.GrpcObject | undefined)?.[name];
  if (typeof found !== 'function') throw new Error(`${pkg}.${name} is not in the loaded protos`);
  return found.service;
}

interface DynamicValue {
  msgpack?: Buffer;
  json?: Buffer;
}
type Handler = (request: Record<string, unknown>) => object;

const dynamic = (value: Value): DynamicValue => ({ msgpack: encodeValue(value) });
const read = (value: unknown): Value => {
  const v = value as DynamicValue | null;
  if (v?.msgpack && v.msgpack.length > 0) return decodeValue(v.msgpack);
  if (v?.json && v.json.length > 0) return JSON.parse(v.json.toString()) as Value;
  return null;
};
const failure = (error: unknown): Diagnostic[] => [
  { severity: 'ERROR', summary: 'Simulated provider failed', detail: String(error) },
];

function providerHandlers(behaviour: ProviderBehaviour): Record<string, Handler> {
  const schema = schemaMessage(behaviour.provider);
  return {
    GetProviderSchema: () => schema,
    ValidateProviderConfig: () => ({ diagnostics: [] }),
    ConfigureProvider: (r) => {
      behaviour.configure(read(r.config));
      return { diagnostics: [] };
    },
    StopProvider: () => ({ Error: '' }),
    ValidateResourceConfig: (r) => ({
      diagnostics: behaviour.validate(String(r.type_name), 'resource', read(r.config)),
    }),
    ValidateDataResourceConfig: (r) => ({
      diagnostics: behaviour.validate(String(r.type_name), 'data', read(r.config)),
    }),
    UpgradeResourceState: (r) => {
      const raw = r.raw_state as { json?: Buffer };
      if (!raw?.json || raw.json.length === 0)
        return { diagnostics: failure('only JSON state can be upgraded') };
      return {
        upgraded_state: dynamic(behaviour.upgrade(String(r.type_name), raw.json.toString())),
        diagnostics: [],
      };
    },
    ReadResource: (r) => ({
      new_state: dynamic(behaviour.read(String(r.type_name), read(r.current_state))),
      private: r.private,
      diagnostics: [],
    }),
    PlanResourceChange: (r) => {
      const { planned, requiresReplace } = behaviour.plan(
        String(r.type_name),
        read(r.prior_state),
        read(r.proposed_new_state),
      );
      return {
        planned_state: dynamic(planned),
        requires_replace: requiresReplace.map((name) => ({ steps: [{ attribute_name: name }] })),
        planned_private: r.prior_private,
        diagnostics: behaviour.planDiagnostics(String(r.type_name), read(r.proposed_new_state)),
      };
    },
    ApplyResourceChange: (r) => {
      try {
        return {
          new_state: dynamic(
            behaviour.apply(String(r.type_name), read(r.planned_state), read(r.prior_state)),
          ),
          private: r.planned_private,
          diagnostics: [],
        };
      } catch (error) {
        if (!(error instanceof IncusRefusal)) throw error;
        return {
          new_state: dynamic(read(r.prior_state)),
          diagnostics: [{ severity: 'ERROR', summary: error.message }],
        };
      }
    },
    ImportResourceState: (r) => ({
      imported_resources: [
        {
          type_name: r.type_name,
          state: dynamic(behaviour.import(String(r.type_name), String(r.id))),
        },
      ],
      diagnostics: [],
    }),
    MoveResourceState: (r) => {
      const source = r.source_state as { json?: Buffer };
      return {
        target_state: dynamic(
          behaviour.upgrade(String(r.target_type_name), source.json?.toString() ?? '{}'),
        ),
        target_private: r.source_private,
        diagnostics: [],
      };
    },
    ReadDataSource: (r) => ({
      state: dynamic(behaviour.readData(String(r.type_name), read(r.config))),
      diagnostics: [],
    }),
  };
}

// Every handler reports its own failure as a diagnostic, so a simulator bug reads as a
// Terraform error naming the RPC instead of a hung or crashed plugin.
function unary(name: string, handler: Handler): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    try {
      callback(null, handler(call.request as Record<string, unknown>));
    } catch (error) {
      process.stderr.write(`sim-provider ${name}: ${(error as Error).stack ?? String(error)}\n`);
      callback(null, { diagnostics: failure(`${name}: ${String(error)}`) });
    }
  };
}

export interface RunningProvider {
  readonly provider: SimulatedProvider;
  /** What the server holds between calls (reattached servers only: a started plugin has its own). */
  readonly daemon: SimulatedDaemon;
  /** The `TF_REATTACH_PROVIDERS` entry for this server (plaintext: reattach speaks no TLS). */
  readonly reattach: object;
  stop(): Promise<void>;
}

function newServer(behaviour: ProviderBehaviour, onShutdown: () => void): grpc.Server {
  const server = new grpc.Server();
  const handlers = providerHandlers(behaviour);
  server.addService(
    protoService('tfplugin6', 'Provider'),
    Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, unary(name, h)])),
  );
  server.addService(protoService('plugin', 'GRPCController'), {
    Shutdown: unary('Shutdown', () => {
      setImmediate(onShutdown);
      return {};
    }),
  });
  return server;
}

const bind = (server: grpc.Server, address: string, credentials: grpc.ServerCredentials) =>
  new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );

/**
 * A long-lived server in this process that Terraform attaches to instead of starting the
 * plugin (TF_REATTACH_PROVIDERS), listening on a unix socket. Shutdown requests are ignored:
 * the server belongs to whoever started it, and stays up for the next command.
 */
export async function serveForReattach(
  provider: SimulatedProvider,
  socket: string,
  cluster?: SimulatedCluster,
): Promise<RunningProvider> {
  const behaviour = new ProviderBehaviour(provider, new SimulatedDaemon(cluster));
  const server = newServer(behaviour, () => {});
  await bind(server, `unix:${socket}`, grpc.ServerCredentials.createInsecure());
  return {
    provider,
    daemon: behaviour.daemon,
    reattach: {
      Protocol: 'grpc',
      ProtocolVersion: 6,
      Pid: process.pid,
      Test: true,
      Addr: { Network: 'unix', String: socket },
    },
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
const MAGIC_COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

/**
 * Serve as a plugin Terraform started itself (go-plugin): check the handshake, listen on a
 * loopback port with mutual TLS (AutoMTLS: the client's certificate is the only CA), and
 * announce address and server certificate on stdout.
 */
export async function serveAsPlugin(provider: SimulatedProvider): Promise<void> {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE) {
    process.stderr.write(
      `This is a simulated ${provider.source} provider for tests: Terraform or OpenTofu starts it.\n`,
    );
    process.exit(1);
  }
  const versions = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? '6').split(',');
  if (!versions.includes('6')) {
    process.stderr.write(`protocol 6 is the only one served; asked for ${versions.join(',')}\n`);
    process.exit(1);
  }
  const clientCertificate = process.env.PLUGIN_CLIENT_CERT;
  const server = newServer(new ProviderBehaviour(provider), () => {
    server.forceShutdown();
    process.exit(0);
  });
  let credentials = grpc.ServerCredentials.createInsecure();
  let announced = '';
  if (clientCertificate) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const now = Date.now();
    const der = selfSignedCertificate({
      commonName: 'localhost',
      organization: 'Atlas simulated provider',
      dnsNames: ['localhost'],
      isCa: true,
      uses: ['digital_signature', 'key_encipherment', 'server_auth', 'client_auth'],
      notBefore: new Date(now - 30_000),
      notAfter: new Date(now + 24 * 3_600_000),
      serial: randomBytes(16),
      publicKey,
      privateKey,
    });
    credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(clientCertificate),
      [
        {
          cert_chain: Buffer.from(pem('CERTIFICATE', der)),
          private_key: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
        },
      ],
      true,
    );
    // go-plugin decodes the certificate with Go's RawStdEncoding: base64 without padding.
    announced = der.toString('base64').replace(/=+$/, '');
  }
  const port = await bind(server, '127.0.0.1:0', credentials);
  process.stdout.write(`1|6|tcp|127.0.0.1:${port}|grpc|${announced}\n`);
}
