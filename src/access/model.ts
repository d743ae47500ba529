import { JSONExt } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ShareClient } from '../client';
import { IAccess, IAccessFacts, ISession, IYou } from '../tokens';
import { factsFrom, UNKNOWN_FACTS } from './rules';

/** How often the project shares are asked again (a share may turn read-only). */
const SHARES_MS = 10000;

/**
 * The user's access as the server reports it: the link permission from GET
 * session, the read-only folders from GET shares (asked again every few
 * seconds, and at once when `refresh` is called).
 */
export class AccessModel implements IAccess, IDisposable {
  constructor(
    private readonly _client: ShareClient,
    session: Promise<ISession | null>
  ) {
    this._poll = new Poll({
      factory: () => this._read(),
      frequency: { interval: SHARES_MS, backoff: true, max: 6 * SHARES_MS },
      name: 'capella-share:access',
      standby: 'when-hidden',
      auto: false
    });
    void session.then(known => {
      if (known === null || this.isDisposed) {
        return; // no server extension: nothing is known, nothing is hidden
      }
      this._you = known.you;
      this._update(factsFrom(known.you.permission, known.you.may, []));
      void this._poll.start();
    });
  }

  get facts(): IAccessFacts {
    return this._facts;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  async refresh(): Promise<void> {
    if (this._you !== null && !this.isDisposed) {
      await this._poll.refresh();
      await this._poll.tick;
    }
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _read(): Promise<void> {
    if (this._you === null) {
      return;
    }
    const list = await this._client.shares();
    this._update(factsFrom(this._you.permission, this._you.may, list.shares));
  }

  private _update(facts: IAccessFacts): void {
    if (JSONExt.deepEqual(facts as any, this._facts as any)) {
      return;
    }
    this._facts = facts;
    this._changed.emit();
  }

  private _facts: IAccessFacts = UNKNOWN_FACTS;
  private _you: IYou | null = null;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
}
