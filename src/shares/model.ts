import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ShareClient } from '../client';
import { errorMessage } from '../request';
import {
  IDeletedShare,
  IProjectShare,
  IRegistrySource,
  IShareList,
  SharePermission
} from '../tokens';

/** How often the shares are asked again while the panel is shown. */
const REFRESH_MS = 10000;
/** How often while it is hidden: a share deleted meanwhile is still noticed. */
const HIDDEN_REFRESH_MS = 60000;

/**
 * The project registry that keeps these shares, when one does.
 */
export function registryOf(list: IShareList | null): IRegistrySource | null {
  const source = list?.source;
  return typeof source === 'object' && source?.kind === 'registry'
    ? source
    : null;
}

/**
 * Whether shares can be created, changed and deleted here: the user may manage
 * this session, the platform does not decide them, and a registry (if they are
 * kept in one) counts the user among the project's managers.
 */
export function mayChange(
  list: IShareList | null,
  mayManage: boolean
): boolean {
  if (!list || list.managed || !mayManage) {
    return false;
  }
  const registry = registryOf(list);
  return registry === null || registry.manager;
}

/**
 * Whether a share may be deleted here: a registry's only by its project's
 * managers (the registry refuses everyone else).
 */
export function mayDelete(
  registry: IRegistrySource | null,
  share: Pick<IProjectShare, 'role'>,
  manage: boolean
): boolean {
  return manage && (registry === null || share.role === 'manager');
}

/**
 * The shares grouped by project, in the server's order.
 */
export function byProject(
  shares: ReadonlyArray<IProjectShare>
): Map<string, IProjectShare[]> {
  const projects = new Map<string, IProjectShare[]>();
  for (const share of shares) {
    const group = projects.get(share.project) ?? [];
    group.push(share);
    projects.set(share.project, group);
  }
  return projects;
}

/**
 * The shares listed before and no longer: deleted, or no longer the user's.
 */
export function goneShares(
  before: IShareList | null,
  after: IShareList
): IProjectShare[] {
  if (before === null) {
    return [];
  }
  const kept = new Set(after.shares.map(s => `${s.project}/${s.model}`));
  return before.shares.filter(s => !kept.has(`${s.project}/${s.model}`));
}

/**
 * Whether a contents path lies in a share's folder.
 */
export function isInShare(path: string, share: IProjectShare): boolean {
  const inside = path.replace(/^\/+/, '');
  return inside === share.path || inside.startsWith(`${share.path}/`);
}

/**
 * What a share's "Restart needed" badge says to assistive technology and in
 * its tooltip: the platform's note, or why a restart is asked for.
 */
export function restartNote(
  share: Pick<IProjectShare, 'restart_needed' | 'note'>,
  trans: TranslationBundle
): string | null {
  if (!share.restart_needed) {
    return null;
  }
  const note = share.note?.trim();
  return note
    ? note
    : trans.__('Restart the session for a change to this share to apply.');
}

/**
 * The project shares of this session, asked again every few seconds while
 * the panel shows them; creating, changing and deleting them.
 */
export class SharesModel implements IDisposable {
  constructor(options: SharesModel.IOptions) {
    this._client = options.client;
    this._mayManage = options.mayManage;
    this._poll = new Poll({
      factory: () => this._read(),
      frequency: this._shownFrequency,
      name: 'capella-share:shares',
      standby: 'when-hidden',
      auto: false
    });
  }

  /** GET shares' last answer (null until the first). */
  get list(): IShareList | null {
    return this._list;
  }
  /** Why the last refresh failed ('' when it did not). */
  get error(): string {
    return this._error;
  }
  /** The share being changed (its path, or "new"); '' when none is. */
  get busy(): string {
    return this._busy;
  }
  /** Whether this user can create, change and delete shares here. */
  get manage(): boolean {
    return mayChange(this._list, this._mayManage);
  }
  /** The project registry that keeps the shares, when one does. */
  get registry(): IRegistrySource | null {
    return registryOf(this._list);
  }
  get changed(): ISignal<this, void> {
    return this._changed;
  }
  /** Shares that were listed and are no longer (deleted, or no longer yours). */
  get removed(): ISignal<this, IProjectShare[]> {
    return this._removed;
  }
  /** Emitted when a share was deleted from here (by this user). */
  get deleted(): ISignal<this, IProjectShare> {
    return this._deleted;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Ask now, then every few seconds (the panel is shown). */
  start(): void {
    this._poll.frequency = this._shownFrequency;
    void this._poll.refresh();
  }

  /** Ask only now and then (the panel is hidden, or not shown yet); the
   * first call asks at once, so that a share deleted later is noticed. */
  stop(): void {
    this._poll.frequency = {
      ...this._shownFrequency,
      interval: HIDDEN_REFRESH_MS
    };
    void this._poll.start();
  }

  /** Ask the server again now; a failure shows in `error`. */
  async refresh(): Promise<void> {
    if (!this.isDisposed) {
      await this._read().catch(() => undefined);
    }
  }

  create(
    project: string,
    model: string,
    permission: SharePermission
  ): Promise<IProjectShare> {
    return this._act('new', () =>
      this._client.createShare(project, model, permission)
    );
  }

  setPermission(
    share: IProjectShare,
    permission: SharePermission
  ): Promise<IProjectShare> {
    return this._act(share.path, () =>
      this._client.setSharePermission(share, permission)
    );
  }

  /** Delete a share for good; `confirm` is its `project/model`. */
  async remove(share: IProjectShare, confirm: string): Promise<IDeletedShare> {
    // told as deleted here, not as gone (which is for what others removed)
    this._deleting.add(share.path);
    try {
      const deleted = await this._act(share.path, async () => {
        const result = await this._client.deleteShare(share, confirm);
        this._deleted.emit(share);
        return result;
      });
      return deleted;
    } finally {
      this._deleting.delete(share.path);
    }
  }

  /** Where the share's zip is downloaded from. */
  archiveURL(share: IProjectShare): string {
    return this._client.archiveURL(share);
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._poll.dispose();
      Signal.clearData(this);
    }
  }

  /** One change at a time; the list is read again whatever happened. */
  private async _act<T>(key: string, action: () => Promise<T>): Promise<T> {
    this._busy = key;
    this._changed.emit();
    try {
      return await action();
    } finally {
      this._busy = '';
      this._changed.emit();
      await this.refresh();
    }
  }

  private async _read(): Promise<void> {
    const mine = ++this._reads;
    let list: IShareList;
    try {
      list = await this._client.shares();
    } catch (error) {
      if (mine === this._reads) {
        this._error = errorMessage(error);
        this._changed.emit();
      }
      throw error; // the poll backs off
    }
    if (mine === this._reads && !this.isDisposed) {
      const gone = goneShares(this._list, list).filter(
        share => !this._deleting.has(share.path)
      );
      this._list = list;
      this._error = '';
      this._changed.emit();
      if (gone.length > 0) {
        this._removed.emit(gone);
      }
    }
  }

  private readonly _client: ShareClient;
  private readonly _mayManage: boolean;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _removed = new Signal<this, IProjectShare[]>(this);
  private readonly _deleted = new Signal<this, IProjectShare>(this);
  private readonly _deleting = new Set<string>();
  private readonly _shownFrequency = {
    interval: REFRESH_MS,
    backoff: true,
    max: 6 * REFRESH_MS
  };
  private _list: IShareList | null = null;
  private _error = '';
  private _busy = '';
  private _reads = 0;
}

export namespace SharesModel {
  export interface IOptions {
    client: ShareClient;
    /** whether the user may manage this session (GET session's you.may) */
    mayManage: boolean;
  }
}
