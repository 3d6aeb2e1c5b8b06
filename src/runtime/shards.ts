/** Writing rows into content-addressed JSONL shards, and reading datasets back as row sets. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Row } from './events.js';
import type { RowSet } from '../core/op.js';
import type { ShardRef, Store } from './store.js';

/** Rows per shard: the unit of streaming, per-shard caching and resume. */
export const DEFAULT_SHARD_ROWS = 10_000;

export class ShardWriter {
  readonly shards: ShardRef[] = [];
  private lines: string[] = [];
  private bytes = 0;

  constructor(private readonly store: Store, private readonly shardRows = DEFAULT_SHARD_ROWS) {}

  get rows(): number {
    return this.shards.reduce((n, s) => n + s.rows, 0) + this.lines.length;
  }

  async add(row: Row): Promise<void> {
    const line = JSON.stringify(row) + '\n';
    this.lines.push(line);
    this.bytes += line.length;
    if (this.lines.length >= this.shardRows) await this.flush();
  }

  /** Write the buffered rows as one shard (nothing when empty). */
  async flush(): Promise<void> {
    if (!this.lines.length) return;
    const data = Buffer.from(this.lines.join(''), 'utf8');
    const hash = createHash('sha256').update(data).digest('hex');
    const tmp = this.store.tmpPath();
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.store.commitObject(tmp, hash);
    this.shards.push({ hash, rows: this.lines.length, bytes: data.length });
    this.lines = [];
    this.bytes = 0;
  }

  async close(): Promise<ShardRef[]> {
    await this.flush();
    return this.shards;
  }
}

export function rowSet(store: Store, shards: ShardRef[]): RowSet {
  return {
    count: shards.reduce((n, s) => n + s.rows, 0),
    async *rows() {
      for (const s of shards) yield* store.readShard(s);
    },
  };
}
