/**
 * A first-in first-out queue with O(1) push and shift, on a growable ring buffer. Used for requests waiting
 * for an in-flight slot and for requests awaiting their responses, which a Kafka broker answers in order.
 */
export class Fifo<T> {
  private items: (T | undefined)[]
  private head = 0
  private count = 0

  constructor(initialCapacity = 8) {
    this.items = new Array<T | undefined>(initialCapacity)
  }

  get length(): number {
    return this.count
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow()
    this.items[(this.head + this.count) % this.items.length] = item
    this.count++
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head]
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.items.length
    this.count--
    return item
  }

  /** Removes `item` wherever it is; O(n), for the rare case of a queued request timing out. */
  remove(item: T): boolean {
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % this.items.length
      if (this.items[at] !== item) continue
      for (let j = i; j < this.count - 1; j++) {
        this.items[(this.head + j) % this.items.length] = this.items[(this.head + j + 1) % this.items.length]
      }
      this.items[(this.head + this.count - 1) % this.items.length] = undefined
      this.count--
      return true
    }
    return false
  }

  /** Oldest first, without removing anything. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) % this.items.length] as T
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all: T[] = []
    while (this.count > 0) all.push(this.shift()!)
    return all
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.max(8, this.items.length * 2))
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length]
    this.items = next
    this.head = 0
  }
}
