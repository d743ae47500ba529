import { TranslationBundle } from '@jupyterlab/translation';
import { JSONExt } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IGrantList, ShareClient } from '../client';
import { errorMessage } from '../request';
import {
  CodeConfinement,
  ICreatedLink,
  IGrant,
  IHubDirectory,
  IInfo,
  ILink,
  ISharedPlace,
  Permission
} from '../tokens';

/** How often the links are asked again (guests connect, links expire). */
const LINKS_MS = 5000;
/** Under JupyterHub, more often: a share may also change at the hub. */
const HUB_MS = 3000;

const NOBODY: IHubDirectory = { users: [], groups: [] };

/**
 * The choices a new link is made with.
 */
export interface ILinkChoice {
  permission: Permission;
  expiresIn: number | null;
  label: string;
  /** the one folder or file to share ('' for the whole session) */
  scope: string;
}

/**
 * A label as the server keeps it: runs of white space made one space.
 */
export function normalLabel(label: string): string {
  return label.trim().split(/\s+/).join(' ');
}

/**
 * Whether two sets of choices make the same link.
 */
export function sameChoice(a: ILinkChoice, b: ILinkChoice): boolean {
  return (
    a.permission === b.permission &&
    a.expiresIn === b.expiresIn &&
    a.scope === b.scope &&
    normalLabel(a.label) === normalLabel(b.label)
  );
}

/**
 * Whether contents path `path` lies in `scope` ('' : everything).
 */
export function inside(path: string, scope: string): boolean {
  return !scope || path === scope || path.startsWith(`${scope}/`);
}

/**
 * The hub names to suggest for a grant of this kind.
 */
export function suggestionsFor(
  kind: 'user' | 'group',
  directory: IHubDirectory
): string[] {
  return kind === 'user' ? directory.users : directory.groups;
}

/**
 * How a grantee is named in the list: a group says it is one.
 */
export function granteeName(
  grant: Pick<IGrant, 'kind' | 'name'>,
  trans: TranslationBundle
): string {
  return grant.kind === 'group' ? trans.__('Group %1', grant.name) : grant.name;
}

/**
 * The share links of this session and, under JupyterHub, the hub users and
 * groups it is shared with, kept up to date with the server while the Share
 * dialog is open; and the link the dialog shows in its URL.
 */
export class LinksModel implements IDisposable {
  constructor(options: LinksModel.IOptions) {
    this._client = options.client;
    this.sessionUrl = options.sessionUrl;
    this._place = options.place ?? { page: 'lab', path: '' };
    this.linksUnavailable = options.info?.links_unavailable?.trim() ?? '';
    this.hub = options.info?.mode === 'hub';
    this.levelsOff = options.info?.levels_off ?? {};
    this.code = options.info?.sandbox?.backend ? 'sandbox' : 'unconfined';
    const interval = this.hub ? HUB_MS : LINKS_MS;
    this._poll = new Poll({
      factory: () => this._read(),
      frequency: { interval, backoff: true, max: 6 * interval },
      name: 'capella-share:links',
      standby: 'when-hidden'
    });
    // the countdowns of the links tick every second
    this._clock = new Poll({
      factory: async () => this._ticked.emit((this._now = Date.now())),
      frequency: { interval: 1000, backoff: false },
      name: 'capella-share:links-clock',
      standby: 'when-hidden'
    });
  }

  /** The session's URL without any token. */
  readonly sessionUrl: string;
  /** Why share links cannot work on this server ('' when they can). */
  readonly linksUnavailable: string;
  /** Under JupyterHub: the server can also be shared with hub users and groups. */
  readonly hub: boolean;
  /** The permissions no link may have here, with the server's reason. */
  readonly levelsOff: { readonly [permission: string]: string };
  /** Where the code of edit and full guests runs. */
  readonly code: CodeConfinement;

  /** The active links, as the server lists them (oldest first). */
  get links(): ReadonlyArray<ILink> {
    return this._links;
  }
  /** Hub users and groups this server is shared with. */
  get grants(): ReadonlyArray<IGrant> {
    return this._grants;
  }
  /** Why the hub could not be asked about grants, if it could not. */
  get grantsProblem(): string | null {
    return this._grantsProblem;
  }
  /** Hub names matching what was last looked up. */
  get directory(): IHubDirectory {
    return this._directory;
  }
  /** The last link made here (by `linkFor`), once it is made. */
  get issued(): ICreatedLink | null {
    return this._made?.link ?? null;
  }
  /** Whether a link is being made. */
  get busy(): boolean {
    return this._busy;
  }
  /** What went wrong last ('' when nothing did). */
  get error(): string {
    return this._error;
  }
  /** The time the countdowns are counted from. */
  get now(): number {
    return this._now;
  }
  /** Emitted when anything but the clock changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }
  /** Emitted every second with the time. */
  get ticked(): ISignal<this, number> {
    return this._ticked;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Ask the server again now; a failure shows in `error`. */
  async refresh(): Promise<void> {
    if (!this.isDisposed) {
      await this._read().catch(() => undefined);
    }
  }

  /**
   * Whether the last link made here was made with these choices.
   */
  carries(choice: ILinkChoice): boolean {
    return this._made !== null && sameChoice(this._made.choice, choice);
  }

  /**
   * The link to hand out for these choices: the last one made here if it was
   * made with them, else a new one. A link is made only to be handed out, so
   * nothing made here is ever withdrawn behind the user's back. Resolves with
   * null when the server refused (`error` says why).
   */
  async linkFor(choice: ILinkChoice): Promise<ICreatedLink | null> {
    if (this._made && this.carries(choice)) {
      return this._made.link;
    }
    this._update({ busy: true, error: '' });
    try {
      const link = await this._client.createLink({
        permission: choice.permission,
        expires_in: choice.expiresIn,
        label: normalLabel(choice.label) || undefined,
        ...(choice.scope ? { scope: choice.scope } : {}),
        ...(this._place.page === 'lab' ||
        !inside(this._place.path, choice.scope)
          ? {}
          : this._place)
      });
      this._update({ made: { link, choice: { ...choice } } });
      return link;
    } catch (error) {
      this._update({ error: errorMessage(error) });
      return null;
    } finally {
      this._update({ busy: false });
      // listed below at once; the link is handed out meanwhile
      void this.refresh();
    }
  }

  /** Revoke one link. */
  async revoke(id: string): Promise<void> {
    await this._act(async () => {
      await this._client.revokeLink(id);
      if (this._made?.link.id === id) {
        this._update({ made: null });
      }
    });
  }

  /** Revoke every link: every guest loses access at once. */
  async revokeAll(): Promise<void> {
    await this._act(async () => {
      await this._client.revokeAll();
      this._update({ made: null });
    });
  }

  /** Share this server with a hub user or group; true when it was. */
  async grant(
    kind: 'user' | 'group',
    name: string,
    permission: Permission
  ): Promise<boolean> {
    return this._act(() => this._client.grant(kind, name.trim(), permission));
  }

  /** Stop sharing this server with a hub user or group. */
  async ungrant(grant: IGrant): Promise<void> {
    await this._act(() => this._client.ungrant(grant.id));
  }

  /** Find hub users and groups whose names match, for `directory`. */
  async lookUp(name: string): Promise<void> {
    if (name.length < 1) {
      return;
    }
    const mine = ++this._lookUps;
    const found = await this._client.hubDirectory(name).catch(() => NOBODY);
    if (mine === this._lookUps && !this.isDisposed) {
      this._directory = found;
      this._changed.emit();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._clock.dispose();
    Signal.clearData(this);
  }

  /** Do something on the server, then read its state again. */
  private async _act(action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (error) {
      this._update({ error: errorMessage(error) });
      return false;
    } finally {
      await this.refresh();
    }
  }

  private async _read(): Promise<void> {
    const mine = ++this._reads;
    let links: ILink[];
    let grants: IGrantList | null;
    try {
      [links, grants] = await Promise.all([
        this._client.links(),
        this.hub ? this._client.grants() : null
      ]);
    } catch (error) {
      this._update({ error: errorMessage(error) });
      throw error; // the poll backs off
    }
    if (mine !== this._reads || this.isDisposed) {
      return; // a newer answer is on its way
    }
    const next = {
      links,
      grants: grants?.grants ?? this._grants,
      problem: grants ? grants.problem : this._grantsProblem
    };
    const known = {
      links: this._links,
      grants: this._grants,
      problem: this._grantsProblem
    };
    if (!JSONExt.deepEqual(next as any, known as any)) {
      this._links = next.links;
      this._grants = next.grants;
      this._grantsProblem = next.problem;
      this._changed.emit();
    }
  }

  private _update(
    state: Partial<{
      busy: boolean;
      error: string;
      made: { link: ICreatedLink; choice: ILinkChoice } | null;
    }>
  ): void {
    if (this.isDisposed) {
      return;
    }
    this._busy = state.busy ?? this._busy;
    this._error = state.error ?? this._error;
    this._made = state.made !== undefined ? state.made : this._made;
    this._changed.emit();
  }

  private readonly _client: ShareClient;
  private readonly _place: ISharedPlace;
  private readonly _poll: Poll;
  private readonly _clock: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _ticked = new Signal<this, number>(this);
  private _links: ILink[] = [];
  private _grants: IGrant[] = [];
  private _grantsProblem: string | null = null;
  private _directory: IHubDirectory = NOBODY;
  private _made: { link: ICreatedLink; choice: ILinkChoice } | null = null;
  private _busy = false;
  private _error = '';
  private _now = Date.now();
  private _reads = 0;
  private _lookUps = 0;
}

export namespace LinksModel {
  export interface IOptions {
    client: ShareClient;
    sessionUrl: string;
    /** the page links open (the Lab's by default) */
    place?: ISharedPlace;
    /** GET info, for the mode and whether links can work here */
    info: IInfo | null;
  }
}
