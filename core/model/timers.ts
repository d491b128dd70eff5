/**
 * When each resource with a time-based reason must be derived again, behind one timer for the earliest.
 * A binary heap with lazy deletion: setting or cancelling a time is O(log n), even at 50,000 resources.
 */
export class TimerHeap {
  private heap: Array<[number, string]> = [];
  private due = new Map<string, number>();
  private timer?: ReturnType<typeof setTimeout>;
  private timerAt = Infinity;

  constructor(private readonly now: () => number, private readonly fire: (ids: string[]) => void) {}

  set(id: string, at: number): void {
    if (this.due.get(id) === at) return;
    this.due.set(id, at);
    this.push([at, id]);
    this.arm();
  }

  cancel(id: string): void { this.due.delete(id); }

  clear(): void {
    this.heap = [];
    this.due.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  get size(): number { return this.due.size; }

  private arm(): void {
    this.dropStale();
    const next = this.heap[0]?.[0];
    if (next === undefined || next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    // Node's timers take at most 2^31-1 ms; a far time is re-armed when this one fires.
    this.timer = setTimeout(() => this.run(), Math.min(Math.max(0, next - this.now()), 2 ** 31 - 1));
    this.timer.unref?.();
  }

  private run(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    const ids: string[] = [];
    while (this.heap.length && this.heap[0][0] <= now) {
      const [at, id] = this.pop()!;
      if (this.due.get(id) === at) { this.due.delete(id); ids.push(id); }
    }
    if (ids.length) this.fire(ids);
    this.arm();
  }

  private dropStale(): void {
    while (this.heap.length && this.due.get(this.heap[0][1]) !== this.heap[0][0]) this.pop();
  }

  private push(e: [number, string]): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p][0] <= h[i][0]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): [number, string] | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && h[l][0] < h[m][0]) m = l;
        if (r < h.length && h[r][0] < h[m][0]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
