/**
 * The calls a store's thread (its writer, its readers) is answering: each is posted with an id,
 * and the reply naming that id settles it, with a value or an error message.
 */
export class ThreadCalls<T> {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(value: T): void; reject(error: Error): void }>();

  /** Calls still unanswered. */
  get size(): number {
    return this.waiting.size;
  }

  /** Makes a call: `post` sends it under the id given; resolves with the reply's value. */
  call(post: (id: number) => void): Promise<T> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      post(id);
    });
  }

  /** Settles the call a reply names: rejected when the reply carries an error. */
  settle(id: number, error: string | undefined, value: T): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    if (error !== undefined) waiter?.reject(new Error(error));
    else waiter?.resolve(value);
  }

  /** Fails every call still unanswered with `error`. */
  failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
