import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { projectRoot } from '../../../pipeline/config/project-root.js';
import { cachedBuild } from '../build-cache.js';
import { MissingPrerequisiteError, requireCommand, runCommand } from '../commands.js';
import { LOOPBACK } from '../ports.js';
import { spawnDetached } from '../processes.js';
import type { LocalService, ServiceContext } from '../service.js';

// The sources beside this module, found from the project root so that the build in dist/ finds them too.
const here = join(projectRoot(), 'infra', 'local', 'kafka');
const POM = join(here, 'pom.xml');
const LOG4J_CONFIG = join(here, 'log4j2.properties');
const MIN_JAVA = 17;

function requireJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined) throw new MissingPrerequisiteError(`java was not found on PATH; it is needed to run the local Kafka broker (Java ${MIN_JAVA}+)`);
  const major = Number(/version "(\d+)/.exec(result.stderr)?.[1] ?? 0);
  if (major < MIN_JAVA) throw new MissingPrerequisiteError(`java ${MIN_JAVA}+ is needed to run the local Kafka broker; found: ${result.stderr.split('\n')[0] ?? '?'}`);
}

/** Fetches the broker's jars with Maven, once per version of the pom. */
async function kafkaClasspath(context: ServiceContext): Promise<string> {
  const dir = await cachedBuild(context.layout.cacheDir, 'kafka', [POM], async (outDir) => {
    requireCommand('mvn', ['-v'], "to fetch Kafka's jars for the local broker (Apache Maven)");
    context.logger.warn('fetching Kafka jars with Maven (first run only)');
    await runCommand('mvn', ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${join(outDir, 'libs')}`, '-DincludeScope=runtime']);
  });
  return join(dir, 'libs', '*');
}

function serverProperties(dataDir: string, broker: number, controller: number): string {
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${LOOPBACK}:${controller}`,
    listeners: `PLAINTEXT://${LOOPBACK}:${broker},CONTROLLER://${LOOPBACK}:${controller}`,
    'advertised.listeners': `PLAINTEXT://${LOOPBACK}:${broker}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dataDir, 'log'),
    // Topics are created explicitly by the pipeline; a typo must not create a new one.
    'auto.create.topics.enable': 'false',
    'num.partitions': 1,
    // One node: internal topics cannot have more than one replica, and few partitions keep start-up quick.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** An Apache Kafka broker, one node in KRaft mode (broker and controller in one process). */
export const kafkaService: LocalService = {
  name: 'kafka',
  title: 'Kafka broker',
  preferredPorts: { broker: 9092, controller: 9093 },

  async prepare(context) {
    requireJava();
    await kafkaClasspath(context);
  },

  async start(context, ports) {
    const broker = ports.broker ?? 0;
    const controller = ports.controller ?? 0;
    const classpath = await kafkaClasspath(context);
    const dataDir = context.layout.dataDir('kafka');
    const logFile = context.layout.logFile('kafka');
    mkdirSync(dataDir, { recursive: true });
    const properties = join(dataDir, 'server.properties');
    writeFileSync(properties, serverProperties(dataDir, broker, controller));
    if (!existsSync(join(dataDir, 'log', 'meta.properties'))) {
      // Kafka's cluster ids are 16 random bytes in URL-safe base64. Given as --cluster-id=<id>: one in
      // 64 starts with "-", which the tool would read as an option after a separate -t.
      const clusterId = randomBytes(16).toString('base64url');
      await runCommand('java', ['-cp', classpath, `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', properties]);
    }
    const jvm = ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`];
    const { pid } = spawnDetached('java', [...jvm, '-cp', classpath, 'kafka.Kafka', properties], logFile);
    return { name: 'kafka', pid, marker: properties, ports: { broker, controller }, dataDir, logFile, startedAt: new Date().toISOString() };
  },

  async probe(record, logger) {
    const admin = createKafka({ brokers: [`${LOOPBACK}:${record.ports.broker ?? 0}`], clientId: 'piccha-services' }, logger.child({}, { level: 'silent' }), {
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return `${cluster.brokers.length} broker(s), cluster ${cluster.clusterId}`;
    } finally {
      await admin.disconnect();
    }
  },

  connectionEnv(record) {
    return { KAFKA_BROKERS: `${LOOPBACK}:${record.ports.broker ?? 0}` };
  },
};
