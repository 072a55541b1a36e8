/**
 * Free TCP ports on loopback for the cluster's own ports. Below 32768 on purpose: the server
 * stores each service's membership and RPC ports in PostgreSQL as a smallint (cluster_membership),
 * and the kernel's ephemeral range (what listen(0) hands out, 32768-60999 on Linux) overflows it.
 * So a random port in 20000-32767 that nothing listens on right now.
 */
import net from 'node:net';

const LOW = 20_000;
const HIGH = 32_767;

/** Ports handed out by this process: several are chosen before any process binds them. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port) || (await portTaken(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${LOW}-${HIGH} on 127.0.0.1`);
}

/** Whether something already listens on 127.0.0.1:port (a dev server on 7233, say). */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}
