// Runs the Pulumi program at $PICCHA_PROGRAM_ROOT/infra/index.ts once under Pulumi's mocks and prints
// one JSON document: every resource registered (in order, with its inputs and parent) and the
// stack outputs. Run in its own process so that each run starts from a fresh Pulumi runtime.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as pulumi from '@pulumi/pulumi';

const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

interface Registered {
  type: string;
  name: string;
  urn: string;
  inputs: unknown;
  retainOnDelete: boolean;
  /** URNs the engine was told this resource depends on (dependsOn and inputs from other resources). */
  dependencies: string[];
  started: number;
  finished: number;
}

const root = process.env.PICCHA_PROGRAM_ROOT ?? '';
const config = JSON.parse(process.env.PICCHA_PROGRAM_CONFIG ?? '{}') as Record<string, string>;
const exitCodes = JSON.parse(process.env.PICCHA_PROGRAM_EXIT_CODES ?? '{}') as Record<string, number>;
const registered: Registered[] = [];
let clock = 0;

/** Secrets as `{ "$secret": value }`, so the test sees which values travel as secrets. */
function markSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(markSecrets);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG_KEY] === SECRET_SIG) return { $secret: markSecrets(record.value) };
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, markSecrets(inner)]));
  }
  return value;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** What the providers would compute, made up deterministically from the resource's name. */
function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case 'random:index/randomPassword:RandomPassword':
      return { result: `pw-${digest(name).toString('hex').slice(0, 24)}` };
    case 'random:index/randomBytes:RandomBytes':
      return { base64: digest(name).toString('base64'), hex: digest(name).toString('hex') };
    case 'random:index/randomId:RandomId':
      return { b64Url: digest(name).subarray(0, 16).toString('base64url') };
    case 'docker:index/remoteImage:RemoteImage':
      return { imageId: `sha256:${digest(String(inputs.name)).toString('hex')}` };
    case 'docker:index/container:Container':
      return { exitCode: exitCodes[name] ?? 0 };
    default:
      return {};
  }
}

await pulumi.runtime.setMocks(
  {
    newResource: async (args) => {
      const started = (clock += 1);
      // A one-shot job takes a while, as it does for real: whatever must wait for it shows it.
      const inputs = args.inputs as Record<string, unknown>;
      if (args.type === 'docker:index/container:Container' && inputs.attach === true) await new Promise((resolve) => setTimeout(resolve, 150));
      registered.push({ type: args.type, name: args.name, urn: '', inputs: markSecrets(inputs), started, finished: (clock += 1), retainOnDelete: false, dependencies: [] });
      return { id: `${args.name}-id`, state: { ...inputs, ...computed(args.type, args.name, inputs) } };
    },
    call: (args) => args.inputs as Record<string, unknown>,
  },
  'piccha-analytics',
  'dev',
  false,
);
pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([key, value]) => [`piccha-analytics:${key}`, value])), Object.keys(config).filter((key) => ['telegramBotToken', 'telegramChatId', 'clickhousePassword', 'mongoUrl'].includes(key)).map((key) => `piccha-analytics:${key}`));

let error: string | undefined;
const fail = (caught: unknown) => {
  error ??= caught instanceof Error ? caught.message : String(caught);
};
// A failed registration (such as a job that exited non-zero) surfaces as an unhandled rejection;
// it ends the run as `pulumi up` would end.
const failure = new Promise<never>((_, reject) => process.on('unhandledRejection', reject));
failure.catch(fail);
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getRetainondelete(): boolean;
  getDependenciesList(): string[];
}
const monitor = pulumi.runtime.getMonitor() as unknown as {
  getRegisteredResources(): Map<string, unknown>;
  registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
};
// The mocks' newResource sees no resource options: record those the tests check from the request itself.
const requests = new Map<string, { retainOnDelete: boolean; dependencies: string[] }>();
const registerResource = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
  requests.set(`${req.getType()}::${req.getName()}`, { retainOnDelete: req.getRetainondelete(), dependencies: req.getDependenciesList() });
  return registerResource(req, callback);
};
const outputs: Record<string, { value: unknown; secret: boolean }> = {};
try {
  const program = (await import(pathToFileURL(join(root, 'infra', 'index.ts')).href)) as Record<string, unknown>;
  for (const [name, value] of Object.entries(program)) {
    if (!pulumi.Output.isInstance(value)) continue;
    const output: pulumi.Output<unknown> = value;
    const resolved = await Promise.race([new Promise((resolve) => output.apply((inner) => resolve(inner))), failure]);
    outputs[name] = { value: resolved, secret: await pulumi.isSecret(output) };
  }
  await Promise.race([pulumi.runtime.disconnect(), failure]);
} catch (caught) {
  fail(caught);
}
// The mock monitor names each resource by URN, which carries its parents' types.
const urns = [...monitor.getRegisteredResources().keys()];
for (const resource of registered) {
  const request = requests.get(`${resource.type}::${resource.name}`);
  resource.retainOnDelete = request?.retainOnDelete ?? false;
  resource.dependencies = request?.dependencies ?? [];
  resource.urn = urns.find((urn) => urn.endsWith(`::${resource.name}`) && urn.split('::')[2]?.split('$').pop() === resource.type) ?? '';
}
process.stdout.write(`${JSON.stringify({ resources: registered, outputs, error })}\n`);
