import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { UserError } from '../errors/user-error.js';

export interface MongoSettings {
  readonly url: string;
  readonly database: string;
}

export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
}

/** Connects and pings, so that a wrong URL fails here rather than at the first write. */
export async function connectMongo(settings: MongoSettings, options: MongoClientOptions = {}): Promise<MongoConnection> {
  const client = new MongoClient(settings.url, { serverSelectionTimeoutMS: 10_000, ...options });
  try {
    await client.connect();
    const db = client.db(settings.database);
    await db.command({ ping: 1 });
    return { client, db };
  } catch (error) {
    await client.close();
    throw new UserError(`cannot reach MongoDB at ${hostsOf(settings.url)} (MONGO_URL): ${(error as Error).message}`, { cause: error });
  }
}

/** The hosts of a connection string, without credentials, for messages. */
function hostsOf(url: string): string {
  return url.replace(/^mongodb(\+srv)?:\/\//, '').replace(/^[^@/]*@/, '').split('/')[0] ?? '?';
}
