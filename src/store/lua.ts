import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by its SHA, loaded on first use (and again after a Redis restart). */
export interface LuaScript {
  run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown>;
}

/** Wraps a Lua source for EVALSHA with a fallback to EVAL when the server does not know it yet. */
export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
        return redis.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}
