/**
 * Import progress on stderr. On a terminal: one bar, redrawn in place at
 * most ten times a second, with the phase, the share of the file's bytes
 * sent, the rows so far and the rows per second. Elsewhere (a pipe, a log
 * file, CI): one plain line per part once the server has answered it.
 *
 * The renderers are pure functions of their state; `ImportProgress` only
 * decides when to draw, on a clock it is given.
 */
import type { ImportAnswer } from './summary.js';

export type Phase = 'checking' | 'importing';

export interface BarState {
  phase: Phase;
  /** Bytes of the file sent and answered in this phase. */
  bytesDone: number;
  bytesTotal: number;
  /** Rows answered in this phase. */
  rows: number;
  /** Since the phase began. */
  elapsedMs: number;
}

const BAR_WIDTH = 24;

/** `importing [############............]  50%  500000 rows  131204 rows/s  3.8 s`, cut to `columns - 1`. */
export function renderBar(state: BarState, columns = 80): string {
  const fraction = state.bytesTotal > 0 ? Math.min(1, state.bytesDone / state.bytesTotal) : 1;
  const filled = Math.floor(fraction * BAR_WIDTH);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(state.rows / seconds) : 0;
  const text =
    `${state.phase.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent}  ` +
    `${state.rows} rows  ${rate} rows/s  ${seconds.toFixed(1)} s`;
  return text.slice(0, Math.max(10, columns - 1));
}

export interface PartDone {
  index: number;
  firstLine: number;
  lastLine: number;
  answer: ImportAnswer;
  /** The request's duration. */
  elapsedMs: number;
}

/**
 * `part 3: lines 100003-150002, 50000 rows, 48210 inserted, 1790 updated, 0 unchanged, 131204 rows/s`;
 * a checked part reads `check part 3: ...`, and skipped rows are counted when there are any.
 */
export function renderPartLine(phase: Phase, done: PartDone): string {
  const { answer } = done;
  const seconds = done.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(answer.rows / seconds) : 0;
  const skipped = answer.skipped > 0 ? `, ${answer.skipped} skipped` : '';
  return (
    `${phase === 'checking' ? 'check ' : ''}part ${done.index}: lines ${done.firstLine}-${done.lastLine}, ${answer.rows} rows, ` +
    `${answer.inserted} inserted, ${answer.updated} updated, ${answer.unchanged} unchanged${skipped}, ${rate} rows/s`
  );
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Redraws at most this often on a terminal. */
export const REDRAW_INTERVAL_MS = 100;

export class ImportProgress {
  private readonly tty: boolean;
  private state: BarState | null = null;
  private phaseStart = 0;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly bytesTotal: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tty = stream.isTTY === true;
  }

  get isTerminal(): boolean {
    return this.tty;
  }

  startPhase(phase: Phase): void {
    // The finished phase's bar stays on its own line.
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
    this.phaseStart = this.now();
    this.state = { phase, bytesDone: 0, bytesTotal: this.bytesTotal, rows: 0, elapsedMs: 0 };
    this.draw(true);
  }

  partDone(phase: Phase, done: PartDone, endOffset: number): void {
    if (this.state === null || this.state.phase !== phase) this.startPhase(phase);
    const state = this.state!;
    state.bytesDone = endOffset;
    state.rows += done.answer.rows;
    if (this.tty) this.draw(endOffset >= this.bytesTotal);
    else this.stream.write(`${renderPartLine(phase, done)}\n`);
  }

  /** A clock tick: keeps the rate and the time fresh between answers. */
  tick(): void {
    this.draw(false);
  }

  /** Ends the bar's line, so that what follows starts on a line of its own. */
  finish(): void {
    if (!this.tty || !this.drawn) return;
    this.draw(true);
    this.stream.write('\n');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    if (!this.tty || this.state === null) return;
    const now = this.now();
    if (!force && now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.state.elapsedMs = now - this.phaseStart;
    // \r back to the line's start, the bar, then erase what a longer earlier bar left.
    this.stream.write(`\r${renderBar(this.state, this.stream.columns || 80)}\x1b[K`);
    this.drawn = true;
  }
}
