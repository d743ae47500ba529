import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ShareClient } from '../client';
import { errorMessage } from '../request';
import { IActivityRecord } from '../tokens';

/** How many records a page holds. */
const PAGE = 100;

/**
 * The activity of one link (or of every link), newest first: the latest page
 * from the server, older pages on demand, and new records as the server's
 * event bus carries them.
 */
export class ActivityModel implements IDisposable {
  constructor(options: ActivityModel.IOptions) {
    this._client = options.client;
    this.link = options.link ?? null;
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
   * Ask the server for the latest page again.
   */
  async refresh(): Promise<void> {
    await this._load(undefined, true);
  }

  /**
   * The page after the oldest record known.
   */
  async loadOlder(): Promise<void> {
    if (this._next !== null) {
      await this._load(this._next, false);
    }
  }

  /**
   * A record the server just made (from its event bus): shown at once if it is
   * this link's and newer than those known.
   */
  add(record: IActivityRecord): void {
    if (this._disposed || (this.link !== null && record.link !== this.link)) {
      return;
    }
    const newest = this._records[0]?.seq ?? 0;
    if (typeof record.seq !== 'number' || record.seq <= newest) {
      return;
    }
    this._records = [record, ...this._records];
    this._changed.emit();
  }

  dispose(): void {
    this._disposed = true;
    Signal.clearData(this);
  }

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
        // what the event bus brought meanwhile stays, the page below it
        const oldest = page.records[page.records.length - 1]?.seq ?? 0;
        const live = this._records.filter(
          r => r.seq > (page.records[0]?.seq ?? oldest)
        );
        this._records = [...live, ...page.records];
      } else {
        this._records = [...this._records, ...page.records];
      }
      this._next = page.next;
      this._recording = page.recording;
      this._problem = page.problem ?? '';
      this._error = '';
    } catch (error) {
      this._error = errorMessage(error);
    } finally {
      this._loading = false;
      if (!this._disposed) {
        this._changed.emit();
      }
    }
  }

  private readonly _client: ShareClient;
  private readonly _changed = new Signal<this, void>(this);
  private _records: IActivityRecord[] = [];
  private _next: number | null = null;
  private _recording = true;
  private _problem = '';
  private _loading = false;
  private _error = '';
  private _disposed = false;
}

export namespace ActivityModel {
  export interface IOptions {
    client: ShareClient;
    /** the link whose activity to show; every link's when absent */
    link?: string | null;
  }
}
