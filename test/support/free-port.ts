import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Where Linux hands out ports of its own (listening on port 0, the local end of outgoing connections), which any
 * process here may take at any moment; undefined where that cannot be read.
 */
function ephemeralPorts(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low! > 0 && high! >= low! ? { low: low!, high: high! } : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on `port` of 127.0.0.1 (0: one the system picks) and closes again; the port listened on, or undefined. */
async function probe(port: number): Promise<number | undefined> {
  const server = net.createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return undefined;
  const { port: bound } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for a server started later. Taken below the system's
 * ephemeral range where it can be read: a port the system handed out and took back (listening on port 0 and closing)
 * could go to another process, or another test file's client connection, before the server listens on it (a
 * dashboard test's API once failed with EADDRINUSE that way). Below the range only another caller's random pick can
 * take it.
 */
export async function freePort(): Promise<number> {
  const range = ephemeralPorts();
  const lowest = 10_000;
  if (range !== undefined && range.low > lowest + 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await probe(lowest + Math.floor(Math.random() * (range.low - lowest)));
      if (port !== undefined) return port;
    }
  }
  const port = await probe(0);
  if (port === undefined) throw new Error('Could not listen on any port of 127.0.0.1.');
  return port;
}
