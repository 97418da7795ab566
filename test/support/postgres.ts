/**
 * A fresh PostgreSQL database for one test file, dropped afterwards. The server comes from
 * ENVFORGE_TEST_DATABASE_URL (default: the role and database scripts/ci/postgres.sh makes). When
 * it cannot be reached the tests fail under CI=true and are skipped with a message elsewhere.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const DEFAULT_TEST_DATABASE_URL = "postgres://envforge:envforge@127.0.0.1:5432/envforge";

export interface TestDatabase {
  /** URL of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (closing every connection to it). */
  drop(): Promise<void>;
}

export type PostgresProbe =
  | { readonly available: true; readonly adminUrl: string }
  | { readonly available: false; readonly reason: string };

export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.ENVFORGE_TEST_DATABASE_URL?.trim();
  return url === undefined || url === "" ? DEFAULT_TEST_DATABASE_URL : url;
}

/**
 * Whether the test server answers. Under CI=true an unreachable server throws, so the suite
 * fails instead of silently skipping the PostgreSQL half of the contract.
 */
export async function probePostgres(env: NodeJS.ProcessEnv = process.env): Promise<PostgresProbe> {
  const adminUrl = testDatabaseUrl(env);
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { available: true, adminUrl };
  } catch (error) {
    const reason = `PostgreSQL at ${redact(adminUrl)} is not reachable (${error instanceof Error ? error.message : String(error)}); start it with scripts/ci/postgres.sh`;
    if (env.CI === "true") throw new Error(reason, { cause: error });
    return { available: false, reason };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createTestDatabase(
  adminUrl: string = testDatabaseUrl(),
): Promise<TestDatabase> {
  const name = `envforge_test_${randomBytes(6).toString("hex")}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => dropDatabase(adminUrl, name),
  };
}

/**
 * FORCE ends the other sessions on the database, which a role without pg_signal_backend may not do
 * to an autovacuum worker (SQLSTATE 42501). Such a worker leaves within moments, so a refused drop
 * is tried again for a few seconds before the error is reported.
 */
async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
      return;
    } catch (error) {
      const refused = (error as { code?: string }).code === "42501";
      if (!refused || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
