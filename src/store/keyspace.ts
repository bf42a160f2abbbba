/**
 * Redis key names. Every key of an installation sits under one hash tag, `{<prefix>}`, so Lua
 * scripts and multi-key commands never cross slots on Redis Cluster, and BullMQ queues share it.
 */
export interface Keyspace {
  /** `{<prefix>}`: the hash tag, also the BullMQ queue prefix. */
  readonly tag: string;
  /** `{<prefix>}:a:b:c` */
  key(...parts: Array<string | number>): string;
}

export function keyspace(prefix: string): Keyspace {
  const tag = `{${prefix}}`;
  return { tag, key: (...parts) => `${tag}:${parts.join(':')}` };
}
