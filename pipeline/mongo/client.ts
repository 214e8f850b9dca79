import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';

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
    throw error;
  }
}
