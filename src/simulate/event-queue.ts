import type { Arrival } from './types.js';

/**
 * A min-heap of arrivals by time; ties leave in insertion order, so a run is
 * deterministic. Closed-loop scenarios push retries while the run drains it.
 *
 * @example
 * const queue = new EventQueue();
 * queue.push({ at: 5, key: 'a', cost: 1 });
 * queue.pop(); // the earliest arrival
 */
export class EventQueue {
  private readonly items: Arrival[] = [];
  private readonly order: number[] = [];
  private pushed = 0;

  get size(): number {
    return this.items.length;
  }

  push(arrival: Arrival): void {
    const { items, order } = this;
    let i = items.length;
    items.push(arrival);
    order.push(this.pushed++);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): Arrival | undefined {
    const { items, order } = this;
    const top = items[0];
    const last = items.pop();
    const lastOrder = order.pop();
    if (items.length === 0 || last === undefined || lastOrder === undefined) return top;
    items[0] = last;
    order[0] = lastOrder;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.less(left, smallest)) smallest = left;
      if (right < items.length && this.less(right, smallest)) smallest = right;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = (this.items[i] as Arrival).at;
    const b = (this.items[j] as Arrival).at;
    return a < b || (a === b && (this.order[i] as number) < (this.order[j] as number));
  }

  private swap(i: number, j: number): void {
    const { items, order } = this;
    [items[i], items[j]] = [items[j] as Arrival, items[i] as Arrival];
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
}
