/** A listener of one event: called with the event's payload. */
export type Listener<T> = (payload: T) => void;

/**
 * A tiny typed event emitter (no Node `events` in the browser). `E` maps each event name to its
 * payload type; `on()` returns the function that unsubscribes. A throwing listener does not stop
 * the others nor the SDK: its error is rethrown on a later tick, where the console shows it.
 */
export class Emitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Calls `listener` on every `name` event until the returned function is called. */
  on<K extends keyof E>(name: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry: Listener<E[K]> = (payload) => listener(payload);
    set.add(entry as Listener<never>);
    return () => {
      set.delete(entry as Listener<never>);
    };
  }

  /** Calls `listener` on the next `name` event only. */
  once<K extends keyof E>(name: K, listener: Listener<E[K]>): () => void {
    const off = this.on(name, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** Removes every listener of `name`, or of every event when no name is given. */
  removeAllListeners(name?: keyof E): void {
    if (name === undefined) this.listeners.clear();
    else this.listeners.delete(name);
  }

  /** Number of listeners of `name`. */
  listenerCount(name: keyof E): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  /** Calls the listeners of `name` in subscription order; those added meanwhile wait for the next event. */
  emit<K extends keyof E>(name: K, payload: E[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      if (!set.has(listener)) continue;
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
