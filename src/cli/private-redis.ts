/**
 * A throwaway Redis for the demo, when none answers at REDIS_URL and `redis-server` is installed:
 * on a free loopback port, keeping nothing on disk, stopped when the demo ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { NewsdeskError } from '../domain/errors.ts';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `redis-server`; rejects with one clear sentence if it is not installed or will not start. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new NewsdeskError(
          'redis_unavailable',
          err.code === 'ENOENT'
            ? 'Redis is not running and redis-server is not installed: install Redis (apt-get install redis-server, brew install redis) or set REDIS_URL to a Redis that runs.'
            : `could not start redis-server: ${err.message}`,
        ),
      ),
    );
    child.once('exit', (code) => reject(new NewsdeskError('redis_unavailable', `redis-server exited at start (code ${code})`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        probe.disconnect();
      }
    }
    throw new NewsdeskError('redis_unavailable', 'redis-server started but did not answer within 5 s');
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  failed.catch(() => {}); // the exit at stop() is expected
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
