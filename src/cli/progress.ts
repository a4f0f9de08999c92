// The progress line of a long run (--batch) on a terminal: done/total, rate,
// failures, time left. Written on stderr with a carriage return, redrawn at
// most every REDRAW_MS, erased before any other output and at the end. Not a
// terminal (a pipe, a file, CI): nothing at all.
const REDRAW_MS = 100;

export class Progress {
  private done = 0;
  private failed = 0;
  private shown = false;
  private last = 0;
  private readonly start = Date.now();

  constructor(
    private readonly total: number,
    private readonly stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr,
  ) {}

  private get on(): boolean {
    return !!this.stream.isTTY;
  }

  /** One more line finished. */
  tick(ok: boolean): void {
    this.done++;
    if (!ok) this.failed++;
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < REDRAW_MS && this.done < this.total) return;
    this.last = now;
    this.stream.write(`\r\x1b[K${this.text(now)}`);
    this.shown = true;
  }

  /** Erases the line, so that other output starts at the left margin. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }

  text(now = Date.now()): string {
    const secs = Math.max((now - this.start) / 1000, 1e-3);
    const rate = this.done / secs;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const left = Number.isFinite(eta) ? `${eta < 10 ? eta.toFixed(1) : Math.round(eta)} s left` : '';
    return [`${this.done}/${this.total}`, `${rate.toFixed(0)}/s`, `${this.failed} failed`, left].filter(Boolean).join(', ');
  }
}
