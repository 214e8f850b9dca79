import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { redact, secretsOf } from '../errors/redact.js';
import { UserError } from '../errors/user-error.js';

export interface MongoSettings {
  readonly url: string;
  readonly database: string;
}

export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
}

/** How long connecting may take before the command gives up. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects and pings, so that a wrong URL fails here rather than at the first write. The
 * socket's connect timeout is bounded too: left at the driver's 30 s, a server that accepts
 * connections but never answers holds `connect()` that long, whatever server selection says.
 */
export async function connectMongo(settings: MongoSettings, options: MongoClientOptions = {}): Promise<MongoConnection> {
  let client: MongoClient;
  try {
    client = new MongoClient(settings.url, { serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS, connectTimeoutMS: CONNECT_TIMEOUT_MS, ...options });
  } catch (error) {
    // The driver quotes the whole connection string, password included: never pass that on.
    throw new UserError(`MONGO_URL is not a valid connection string: ${redact((error as Error).message, secretsOf({ MONGO_URL: settings.url }))}`, { cause: error });
  }
  const started = Date.now();
  try {
    await client.connect();
    const db = client.db(settings.database);
    await db.command({ ping: 1 });
    return { client, db };
  } catch (error) {
    await client.close();
    const seconds = Math.round((Date.now() - started) / 1000);
    throw new UserError(`cannot reach MongoDB at ${hostsOf(settings.url)} (MONGO_URL): ${(error as Error).message}; gave up after ${seconds} s`, { cause: error });
  }
}

/** The hosts of a connection string, without credentials, for messages. */
export function hostsOf(url: string): string {
  return url.replace(/^mongodb(\+srv)?:\/\//, '').replace(/^[^@/]*@/, '').split('/')[0] ?? '?';
}
