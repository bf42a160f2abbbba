/**
 * Private `redis-server` processes for tests that must restart Redis or run a Redis Cluster: each
 * on its own free loopback port with its own temporary directory, all stopped (and the
 * directories removed) by `stop()`, which is safe to call twice.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1 (and, with `plus`, `port + plus` free too: a cluster's bus port). */
export async function freePort(plus?: number): Promise<number> {
  for (;;) {
    const port = await listenAndClose(0);
    if (plus === undefined) return port;
    if (port + plus <= 65535 && (await listenAndClose(port + plus).then(() => true, () => false))) return port;
  }
}

function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  pid(): number | undefined;
  /** Stops the server: SIGTERM (Redis writes its AOF and exits) or SIGKILL. Resolves when it has exited. */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and directory (the AOF brings the data back). */
  start(): Promise<void>;
  /** Stops it and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--appendonly', 'yes']`. */
  args?: string[];
}

/** Starts `redis-server` on loopback in a fresh temporary directory; resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = false;

  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...(options.args ?? [])], {
      stdio: 'ignore',
    });
    const c = child;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    await waitForPing(port);
  };
  const kill = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: () => child?.pid,
    kill,
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    try {
      await r.connect();
      // While loading its AOF Redis answers -LOADING; PING then fails and we wait.
      if ((await r.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      r.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface RedisClusterServers {
  nodes: { host: string; port: number }[];
  /** `REDIS_CLUSTER_NODES` for these nodes. */
  env: string;
  servers: RedisServer[];
  stop(): Promise<void>;
}

/**
 * Starts `masters` cluster-enabled servers and joins them with `redis-cli --cluster create`
 * (no replicas); resolves once every slot is served.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort(10_000);
      servers.push(
        await startRedisServer({
          port,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--appendonly', 'no'],
        }),
      );
    }
    const nodes = servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterOk(nodes);
    return { nodes, env: nodes.map((n) => `${n.host}:${n.port}`).join(','), servers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForClusterOk(nodes: { host: string; port: number }[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      nodes.map(async (n) => {
        const { stdout } = await run('redis-cli', ['-h', n.host, '-p', String(n.port), 'cluster', 'info']);
        return /cluster_state:ok/.test(stdout);
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error('the test Redis Cluster did not reach cluster_state:ok');
    await new Promise((res) => setTimeout(res, 100));
  }
}
