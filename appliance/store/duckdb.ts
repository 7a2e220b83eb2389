/**
 * @module The DuckDB adapter: the only importer of @duckdb/node-api. One read-write connection per
 * process (DuckDB allows one writing process per file); transactions are serialised through a queue
 * because a connection runs one transaction at a time.
 */
import {
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBAppender,
  FLOAT,
  LIST,
  VARCHAR,
  listValue,
  timestampTZValue,
  type DuckDBValue,
  type DuckDBType,
} from '@duckdb/node-api';
import { AppError } from '../shared/errors';

/** Parameter values the repositories may bind; converted here so they never import DuckDB. */
export type SqlParam = string | number | bigint | boolean | null | Float32Array | readonly string[];
export type Row = Record<string, unknown>;

/** Column kinds for bulk appends (the appender needs to know how to write each value). */
export type ColumnKind = 'varchar' | 'double' | 'float' | 'bigint' | 'integer' | 'timestamptz' | 'floats';
export type AppendValue = string | number | bigint | Date | Float32Array | null;

function appendOne(a: DuckDBAppender, kind: ColumnKind, v: AppendValue): void {
  if (v === null) {
    a.appendNull();
    return;
  }
  switch (kind) {
    case 'varchar':
      a.appendVarchar(String(v));
      break;
    case 'double':
      a.appendDouble(Number(v));
      break;
    case 'float':
      a.appendFloat(Number(v));
      break;
    case 'bigint':
      a.appendBigInt(BigInt(v as number | bigint));
      break;
    case 'integer':
      a.appendInteger(Number(v));
      break;
    case 'timestamptz':
      a.appendTimestampTZ(timestampTZValue(BigInt((v as Date).getTime()) * 1000n));
      break;
    case 'floats':
      a.appendList(listValue(Array.from(v as Float32Array)), LIST(FLOAT));
      break;
  }
}

export interface Sql {
  all<T = Row>(sql: string, params?: SqlParam[]): Promise<T[]>;
  run(sql: string, params?: SqlParam[]): Promise<void>;
}

function convert(params: SqlParam[]): { values: DuckDBValue[]; types: Array<DuckDBType | undefined> } {
  const values: DuckDBValue[] = [];
  const types: Array<DuckDBType | undefined> = [];
  for (const p of params) {
    if (p instanceof Float32Array) {
      values.push(listValue(Array.from(p)));
      types.push(LIST(FLOAT));
    } else if (Array.isArray(p)) {
      values.push(listValue(p as string[]));
      types.push(LIST(VARCHAR));
    } else {
      values.push(p as DuckDBValue);
      types.push(undefined);
    }
  }
  return { values, types };
}

function sqlOn(conn: DuckDBConnection): Sql {
  return {
    async all<T>(sql: string, params: SqlParam[] = []) {
      const { values, types } = convert(params);
      const reader = await conn.runAndReadAll(sql, values, types as DuckDBType[]);
      return reader.getRowObjectsJS() as T[];
    },
    async run(sql: string, params: SqlParam[] = []) {
      const { values, types } = convert(params);
      await conn.run(sql, values, types as DuckDBType[]);
    },
  };
}

export class Db implements Sql {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sql: Sql;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly path: string,
  ) {
    this.sql = sqlOn(conn);
  }

  static async open(path: string): Promise<Db> {
    const db = await Db.openUnlessHeld(path, true);
    return db!;
  }

  /** Open, or null when another process holds the file (the running appliance): for the CLI. */
  static async openUnlessHeld(path: string, failIfHeld = false): Promise<Db | null> {
    try {
      const instance = await DuckDBInstance.create(path);
      const conn = await instance.connect();
      return new Db(instance, conn, path);
    } catch (e) {
      const msg = String((e as Error).message ?? e);
      const held = /lock/i.test(msg);
      if (held && !failIfHeld) return null;
      const hint = held ? ' (another fovea process holds this database: stop it first)' : '';
      throw new AppError('store_failed', `cannot open database ${path}${hint}: ${msg.split('\n')[0]}`, { cause: e });
    }
  }

  all<T = Row>(sql: string, params?: SqlParam[]): Promise<T[]> {
    return this.serial(() => this.sql.all<T>(sql, params));
  }

  run(sql: string, params?: SqlParam[]): Promise<void> {
    return this.serial(() => this.sql.run(sql, params));
  }

  /** Run fn inside BEGIN/COMMIT; ROLLBACK and rethrow on any error. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.sql.run('BEGIN TRANSACTION');
      try {
        const out = await fn(this.sql);
        await this.sql.run('COMMIT');
        return out;
      } catch (e) {
        await this.sql.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * Bulk insert through DuckDB's appender (much faster than INSERTs for result streams). Rows are
   * written in column order of the table; kinds say how to write each column.
   */
  append(table: string, kinds: ColumnKind[], rows: AppendValue[][]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.serial(async () => {
      const a = await this.conn.createAppender(table);
      try {
        for (const row of rows) {
          row.forEach((v, i) => {
            appendOne(a, kinds[i]!, v);
          });
          a.endRow();
        }
        a.flushSync();
      } finally {
        a.closeSync();
      }
    });
  }

  /**
   * A query of (BIGINT key, FLOAT[dims] vector) rows handed over a chunk at a time as keys and one
   * packed matrix, without a JS value per number: how an index rebuild reads a million embeddings.
   * The chunk's floats are read from the array vector's child data when the client exposes it (a
   * field its types call private), else item by item.
   */
  vectorChunks(
    sql: string,
    params: SqlParam[],
    dims: number,
    fn: (keys: BigUint64Array, matrix: Float32Array) => void,
  ): Promise<void> {
    return this.serial(async () => {
      const { values, types } = convert(params);
      const result = await this.conn.stream(sql, values, types as DuckDBType[]);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) return;
        const n = chunk.rowCount;
        const keys = new BigUint64Array(n);
        const keyVector = chunk.getColumnVector(0);
        for (let i = 0; i < n; i++) keys[i] = BigInt(keyVector.getItem(i) as bigint);
        const arrays = chunk.getColumnVector(1);
        const child = (arrays as unknown as { childData?: { items?: unknown } }).childData?.items;
        let matrix: Float32Array;
        if (child instanceof Float32Array && child.length === n * dims) matrix = Float32Array.from(child);
        else {
          matrix = new Float32Array(n * dims);
          for (let i = 0; i < n; i++) matrix.set((arrays.getItem(i) as unknown as { items: number[] }).items, i * dims);
        }
        fn(keys, matrix);
      }
    });
  }

  /** Write the WAL into the main file (before a backup or a clean stop). */
  checkpoint(): Promise<void> {
    return this.run('CHECKPOINT');
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
