// Counts the WebSocket connections each client address holds, so that one client cannot take every socket the
// process may open (MAX_CONNECTIONS_PER_CLIENT).
import type { Socket } from 'node:net';
import { unmapped } from './allowed-host.js';

export class ClientConnectionLimit {
  private readonly open = new Map<string, number>();

  constructor(readonly maxPerClient: number) {}

  /**
   * Takes a place for the connection on `socket`, or returns false when its address holds the maximum already.
   * The place is given back when the socket closes, whether the handshake completed or not.
   */
  admit(socket: Socket): boolean {
    // Already gone (the client hung up during the handshake): it holds nothing, and its 'close' may have passed.
    if (socket.destroyed) return true;
    const address = clientAddress(socket);
    const count = this.open.get(address) ?? 0;
    if (count >= this.maxPerClient) return false;
    this.open.set(address, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(address) ?? 1) - 1;
      if (left === 0) this.open.delete(address);
      else this.open.set(address, left);
    });
    return true;
  }
}

/** The remote address, with IPv4-mapped IPv6 ('::ffff:127.0.0.1') written as IPv4, so both count as one client. */
export function clientAddress(socket: Socket): string {
  return unmapped(socket.remoteAddress ?? 'unknown');
}
