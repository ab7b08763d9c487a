/**
 * A queue drained from the front by index: Array.shift would move every element per packet, and the backing
 * array is reused (emptied in place) each time the queue runs dry, so a steady flow allocates nothing.
 */
export class Fifo<T> {
  private readonly items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++]!;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return item;
  }
}
