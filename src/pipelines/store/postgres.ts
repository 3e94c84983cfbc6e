/**
 * The team backend: PostgreSQL through `pg` (`--database-url postgres://…`). Reads use a small
 * pool; writes of this process run one at a time on one connection, and a log batch takes a
 * transaction-scoped advisory lock so that chunk ids are handed out in commit order across
 * processes too (a follower's cursor never skips a chunk). int8 columns come back as numbers.
 */
import pg from 'pg';
import { redactUrl, RunStoreError } from './errors.ts';
import { Serial, type Row, type SqlDb, type SqlExec, type SqlValue } from './sql.ts';

/** Arbitrary, fixed: the advisory lock that orders log writes. */
const LOG_LOCK = 0x51_75_1c_e0;
const INT8_OID = 20;

const int8 = (v: string): number => Number(v);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID && format !== 'binary'
      ? int8
      : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

/** `?` placeholders as `$1, $2, …` (the store's SQL has no `?` inside literals). */
const translated = new Map<string, string>();
function dollar(sql: string): string {
  let out = translated.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (translated.size < 500) translated.set(sql, out);
  }
  return out;
}

/** Network and connection failures (no SQLSTATE from a server that answered). */
function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as Error & { code?: unknown }).code;
  // 08: connection exceptions; 57P: the server shutting down or killing the session.
  return (
    typeof code !== 'string' ||
    !/^[0-9A-Z]{5}$/.test(code) ||
    code.startsWith('08') ||
    code.startsWith('57P')
  );
}

class PostgresDb implements SqlDb {
  readonly backend = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly serial = new Serial();

  constructor(url: string) {
    this.location = redactUrl(url);
    this.pool = new pg.Pool({ connectionString: url, max: 4, types, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks (server restart) must not crash the process.
    this.pool.on('error', () => undefined);
  }

  private wrap(err: unknown): unknown {
    if (!isConnectionError(err) || err instanceof RunStoreError) return err;
    return new RunStoreError(
      'StoreUnavailable',
      this.location,
      err instanceof Error ? err.message : String(err),
      { cause: err },
    );
  }

  private execOn(client: pg.Pool | pg.PoolClient): SqlExec {
    return {
      all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        (await client.query<T>(dollar(sql), [...params])).rows,
      run: async (sql: string, params: readonly SqlValue[] = []) =>
        (await client.query(dollar(sql), [...params])).rowCount ?? 0,
    };
  }

  async all<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return await this.execOn(this.pool).all<T>(sql, params);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  transaction<T>(
    fn: (tx: SqlExec) => Promise<T>,
    options: { exclusive?: boolean } = {},
  ): Promise<T> {
    return this.serial.run(async () => {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw this.wrap(err);
      }
      // A session killed mid-transaction fails the query below; the client's own 'error'
      // event must not crash the process.
      const ignore = (): void => undefined;
      client.on('error', ignore);
      try {
        await client.query('BEGIN');
        if (options.exclusive) await client.query('SELECT pg_advisory_xact_lock($1)', [LOG_LOCK]);
        const result = await fn(this.execOn(client));
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // A broken connection is not given back to the pool.
        client.release(isConnectionError(err) ? (err as Error) : undefined);
        throw this.wrap(err);
      } finally {
        client.off('error', ignore);
      }
    });
  }

  async close(): Promise<void> {
    await this.serial.run(() => this.pool.end());
  }
}

/** Connects to `url` (postgres:// or postgresql://) and checks the server answers. */
export async function openPostgres(url: string): Promise<SqlDb> {
  const db = new PostgresDb(url);
  try {
    await db.all('SELECT 1 AS ok');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
