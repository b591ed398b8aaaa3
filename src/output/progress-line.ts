// While a run goes, how many hosts are done, running and failed. On a terminal that is one line at
// the bottom, redrawn in place and cleared before anything else is printed (and at the end), so
// the per-host lines scroll above it; elsewhere (a pipe, a log, cron) it is never drawn and the
// per-host lines are all there is. Redraws are throttled: at 100 hosts the events come faster
// than anyone reads, and a terminal write per event would cost the run more than it tells.
import type { HostResult } from "../model/result.js";

export interface ProgressCounts {
  total: number;
  done: number;
  running: number;
  failed: number;
}

export const progressText = (c: ProgressCounts): string => `[ ${c.done}/${c.total} done, ${c.running} running, ${c.failed} failed ]`;

/** A running host's step, for the live line: since when it is on it. */
export interface HostStep {
  step: string;
  since: number;
}

/**
 * The counts, then the hosts that have been on one step longest (those are what a run waits for),
 * each as `host: step 12s`, cut to `width` columns.
 */
export function progressWithSteps(c: ProgressCounts, steps: ReadonlyMap<string, HostStep>, now: number, width: number): string {
  const head = progressText(c);
  const oldest = [...steps].sort((a, b) => a[1].since - b[1].since);
  const parts = oldest.map(([host, s]) => `${host}: ${s.step} ${Math.floor((now - s.since) / 1000)}s`);
  let text = head;
  for (const [i, part] of parts.entries()) {
    const more = parts.length - i - 1;
    const next = `${text} ${part}${i < parts.length - 1 ? " |" : ""}`;
    const tail = more > 0 ? ` +${more}` : "";
    if (next.length + tail.length > width) {
      // The longest-waiting host is shown, its step cut short if it must be (when at least a dozen
      // columns are left for it); the others that do not fit are counted.
      if (i === 0) {
        const others = parts.length > 1 ? ` +${parts.length - 1}` : "";
        const room = width - head.length - 1 - others.length;
        if (room >= 12) return `${head} ${part.slice(0, room - 1)}…${others}`;
      }
      const rest = ` +${parts.length - i}`;
      return (text.length + rest.length <= width ? text + rest : text).slice(0, width);
    }
    text = next;
  }
  return text.slice(0, width);
}

const CLEAR = "\r\u001b[K";

export interface ProgressLineOptions {
  /** draw the live line (stderr is a terminal); otherwise print() only passes text through */
  live: boolean;
  /** at least this long between two redraws that no other output forced */
  intervalMs?: number;
  now?: () => number;
  /** the terminal's width (default, and when it says 0 or nothing: 80) */
  columns?: () => number | undefined;
}

export class ProgressLine {
  readonly counts: ProgressCounts = { total: 0, done: 0, running: 0, failed: 0 };
  private readonly steps = new Map<string, HostStep>();
  /** redraws once a second while a step runs, so its seconds move */
  private ticker: NodeJS.Timeout | undefined;
  private shown = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly write: (text: string) => void,
    private readonly opts: ProgressLineOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 100;
    this.now = opts.now ?? Date.now;
  }

  begin(total: number): void {
    this.counts.total = total;
    this.changed();
  }

  start(): void {
    this.counts.running++;
    this.changed();
  }

  /** `host` started `step` of its apply script. */
  step(host: string, step: string): void {
    if (!this.opts.live) return;
    this.steps.set(host, { step, since: this.now() });
    this.ticker ??= setInterval(() => this.changed(), 1000).unref();
    this.changed();
  }

  done(r: Pick<HostResult, "status" | "host">): void {
    this.steps.delete(r.host);
    this.counts.running--;
    this.counts.done++;
    if (r.status === "failed" || r.status === "unreachable" || r.status === "stale") this.counts.failed++;
    this.changed();
  }

  /** Prints `text` (to `to`, e.g. stdout, else where the line is) above the live line. */
  print(text: string, to: (text: string) => void = this.write): void {
    if (!this.opts.live) return to(text);
    if (to === this.write) {
      // One write: the line cleared, the text, the line again.
      this.write(`${this.shown ? CLEAR : ""}${text}${this.line()}`);
      this.drawn();
      return;
    }
    this.clear();
    to(text);
    this.draw();
  }

  /** Clears the line for good (the run is over). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.clear();
  }

  private changed(): void {
    if (!this.opts.live) return;
    const wait = this.lastDraw + this.intervalMs - this.now();
    if (wait <= 0) return this.draw();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait).unref();
  }

  private line(): string {
    if (this.counts.total === 0) return "";
    // A terminal that gives no width (0 columns, as a bare pty can) counts as 80 wide.
    return progressWithSteps(this.counts, this.steps, this.now(), (this.opts.columns?.() || 80) - 1);
  }

  private draw(): void {
    if (this.counts.total === 0) return;
    this.write(`${this.shown ? CLEAR : ""}${this.line()}`);
    this.drawn();
  }

  private drawn(): void {
    this.shown = this.counts.total > 0;
    this.lastDraw = this.now();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private clear(): void {
    if (this.shown) this.write(CLEAR);
    this.shown = false;
  }
}
