import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ShareClient } from '../client';
import { errorMessage } from '../request';
import { IActivityPage, IActivityRecord } from '../tokens';

/** How many records a page holds. */
const PAGE = 100;
/**
 * How often the view asks the server for records newer than those it shows,
 * while it is shown: the server does not push them to Lab, so a record shows
 * at most this late (longer while requests fail: the poll backs off).
 */
const FOLLOW_MS = 3000;

/**
 * The activity of one link (or of every link), newest first: the latest page
 * from the server, older pages on demand, and, while followed, the records the
 * server made since, asked for every few seconds.
 */
export class ActivityModel implements IDisposable {
  constructor(options: ActivityModel.IOptions) {
    this._client = options.client;
    this.link = options.link ?? null;
    this._poll = new Poll({
      factory: () => this._follow(),
      frequency: { interval: FOLLOW_MS, backoff: true, max: 10 * FOLLOW_MS },
      name: 'capella-share:activity',
      standby: 'when-hidden',
      auto: false
    });
  }

  /** The link whose activity this is; null for every link's. */
  readonly link: string | null;

  /** The records known, newest first. */
  get records(): ReadonlyArray<IActivityRecord> {
    return this._records;
  }
  /** Whether older records are left to load. */
  get hasOlder(): boolean {
    return this._next !== null;
  }
  /** Whether the server records activity at all. */
  get recording(): boolean {
    return this._recording;
  }
  /** Why the server cannot write its trail now ('' when it can). */
  get problem(): string {
    return this._problem;
  }
  get loading(): boolean {
    return this._loading;
  }
  /** What went wrong with the last request ('' when nothing did). */
  get error(): string {
    return this._error;
  }
  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Ask the server now, then every few seconds, for the records made since
   * the newest known (the latest page first, when none is loaded yet); the
   * view is shown. Asks nothing while the browser tab is hidden.
   */
  follow(): void {
    void this._poll.start();
  }

  /** Stop asking for new records (the view is hidden). */
  stop(): void {
    void this._poll.stop();
  }

  /**
   * Ask the server for the latest page again.
   */
  async refresh(): Promise<void> {
    await this._load(undefined, true).catch(() => undefined);
  }

  /**
   * The page after the oldest record known.
   */
  async loadOlder(): Promise<void> {
    if (this._next !== null) {
      await this._load(this._next, false).catch(() => undefined);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * One tick of the poll: the records newer than the newest known, put in
   * front. Rejects when the server could not be asked, for the poll to back
   * off.
   */
  private async _follow(): Promise<void> {
    if (!this._loaded) {
      await this._load(undefined, true);
      return;
    }
    const after = this._records[0]?.seq ?? 0;
    let page: IActivityPage;
    try {
      page = await this._client.activity({
        link: this.link ?? undefined,
        after,
        limit: PAGE
      });
    } catch (error) {
      if (!this._disposed) {
        this._error = errorMessage(error);
        this._changed.emit();
      }
      throw error;
    }
    if (this._disposed) {
      return;
    }
    // A full page all newer than `after` may leave more between: the latest
    // page then replaces what is shown. (A server that does not know `after`
    // answers the latest page, which holds the known newest unless more than
    // a page was made since.)
    if (page.records.length >= PAGE && page.records.every(r => r.seq > after)) {
      await this._load(undefined, true);
      return;
    }
    // the newest known may have changed meanwhile (a refresh)
    const newest = this._records[0]?.seq ?? 0;
    const newer = page.records.filter(r => r.seq > newest);
    const problem = page.problem ?? '';
    if (
      newer.length === 0 &&
      this._recording === page.recording &&
      this._problem === problem &&
      this._error === ''
    ) {
      return;
    }
    this._records = [...newer, ...this._records];
    this._recording = page.recording;
    this._problem = problem;
    this._error = '';
    this._changed.emit();
  }

  /**
   * Load a page: the latest (`fresh`, replacing older pages) or the one
   * before `before`. Rejects when the server could not be asked (after
   * saying so in `error`).
   */
  private async _load(before: number | undefined, fresh: boolean) {
    this._loading = true;
    this._changed.emit();
    try {
      const page = await this._client.activity({
        link: this.link ?? undefined,
        before,
        limit: PAGE
      });
      if (this._disposed) {
        return;
      }
      if (fresh) {
        // what a poll brought meanwhile stays, the page below it
        const oldest = page.records[page.records.length - 1]?.seq ?? 0;
        const live = this._records.filter(
          r => r.seq > (page.records[0]?.seq ?? oldest)
        );
        this._records = [...live, ...page.records];
        this._loaded = true;
      } else {
        this._records = [...this._records, ...page.records];
      }
      this._next = page.next;
      this._recording = page.recording;
      this._problem = page.problem ?? '';
      this._error = '';
    } catch (error) {
      this._error = errorMessage(error);
      throw error;
    } finally {
      this._loading = false;
      if (!this._disposed) {
        this._changed.emit();
      }
    }
  }

  private readonly _client: ShareClient;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private _records: IActivityRecord[] = [];
  private _next: number | null = null;
  private _recording = true;
  private _problem = '';
  private _loading = false;
  private _error = '';
  private _loaded = false;
  private _disposed = false;
}

export namespace ActivityModel {
  export interface IOptions {
    client: ShareClient;
    /** the link whose activity to show; every link's when absent */
    link?: string | null;
  }
}
