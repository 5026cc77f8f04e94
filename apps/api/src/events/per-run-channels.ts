// Subscribers per run: each subscription gets a channel of its own, and leaves the map when it closes.
import { EventChannel } from './event-channel.js';

export class PerRunChannels<T> {
  private readonly listeners = new Map<string, Set<EventChannel<T>>>();

  publish(runId: string, value: T): void {
    for (const channel of this.listeners.get(runId) ?? []) channel.push(value);
  }

  has(runId: string): boolean {
    return this.listeners.has(runId);
  }

  subscribe(runId: string): EventChannel<T> {
    const listeners = this.listeners.get(runId) ?? new Set();
    this.listeners.set(runId, listeners);
    const channel: EventChannel<T> = new EventChannel(() => {
      listeners.delete(channel);
      if (listeners.size === 0) this.listeners.delete(runId);
    });
    listeners.add(channel);
    return channel;
  }
}
