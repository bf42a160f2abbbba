/**
 * CPU seconds Redis spent (INFO cpu: used_cpu_user + used_cpu_sys, summed over every master of a
 * cluster). Meaningful only on a Redis nobody else uses: the bench's own cluster (`--cluster`).
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../src/store/redis.ts';

export async function redisCpuSeconds(redis: RedisClient): Promise<number> {
  let total = 0;
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    const info = await node.info('cpu');
    for (const field of ['used_cpu_user', 'used_cpu_sys']) total += Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  }
  return total;
}
