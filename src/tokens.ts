import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/**
 * What a link lets its holder do.
 */
export type Permission = 'view' | 'edit' | 'full';

/**
 * GET info: the server extension's version and what it offers.
 */
export interface IInfo {
  version: string;
  mode: 'standalone' | 'hub';
  features: string[];
  /**
   * Why share links cannot work on this server (for example: it asks nobody
   * to log in); null or absent when they can.
   */
  links_unavailable?: string | null;
  /**
   * Why no guest may come in (a shape of Jupyter that capella-share relies on
   * is not in place); null when they may.
   */
  guests_off?: string | null;
  /** the link permissions no guest may hold here, with why */
  levels_off?: { [permission: string]: string };
  /** what confines the code of kernels and guests' terminals */
  sandbox?: ISandbox;
  /** the touchpoints with Jupyter's internals found not in place at start */
  upstream?: { touchpoint: string; problem: string }[];
}

/**
 * GET info's `sandbox`: the backend that holds code here (null: none), what
 * it hides, and why none works.
 */
export interface ISandbox {
  backend: 'bubblewrap' | 'landlock' | null;
  hides: string[];
  problem: string | null;
}

/**
 * Where a guest's code runs: in the sandbox, as the owner (the operator chose
 * unconfined code), or nowhere (edit and full are off).
 */
export type CodeConfinement = 'sandbox' | 'unconfined';

/**
 * Who the current user is in this session.
 */
export interface IYou {
  username: string;
  display_name: string;
  role: 'owner' | 'guest';
  permission: Permission | 'owner';
  /** the one folder or file this user's link shares ('' : the whole session) */
  scope: string;
  /** what the server's policy lets this user do (outside read-only shares) */
  may: IMay;
  /** the kernels this user may not connect to */
  kernels: IKernelsOff;
}

/**
 * GET session's `you.may`: the policy's answers the Lab needs to offer only what
 * the user may do. The frontend holds no permission table of its own.
 */
export interface IMay {
  write: boolean;
  run: boolean;
  terminals: boolean;
  settings: boolean;
  shutdown: boolean;
  manage: boolean;
}

/**
 * GET session's `you.kernels`: the kernels this user may not connect to, and
 * why (the server refuses their websocket with these words).
 */
export interface IKernelsOff {
  /** why this user may connect to no kernel at all; null when it may */
  refused: string | null;
  /** running kernels this user may not connect to, each with why */
  off: { [kernelId: string]: string };
  /** whether a kernel started later may be off too (ask again about it) */
  ask: boolean;
}

/**
 * GET session.
 */
export interface ISession {
  url: string;
  you: IYou;
}

/**
 * A guest connected through a link.
 */
export interface IConnection {
  username: string;
  display_name: string;
  since: string;
}

/**
 * A share link as listed (never with its token).
 */
export interface ILink {
  id: string;
  label: string;
  permission: Permission;
  path: string;
  /** the one folder or file the link shares ('' for the whole session) */
  scope: string;
  created: string;
  expires_at: string | null;
  last_used: string | null;
  connections: IConnection[];
}

/**
 * A link just made: the only time its token is shown.
 */
export interface ICreatedLink extends Omit<ILink, 'connections'> {
  url: string;
  token: string;
}

/**
 * The page a session URL opens: the Lab, or Notebook 7's file tree, notebook
 * or editor page.
 */
export type SharedPage = 'lab' | 'tree' | 'notebooks' | 'edit';

/**
 * Where a link leads: a page, and the file or folder it opens there.
 */
export interface ISharedPlace {
  page: SharedPage;
  path: string;
}

/**
 * POST links.
 */
export interface ILinkRequest {
  permission: Permission;
  expires_in: number | null;
  label?: string;
  path?: string;
  page?: SharedPage;
  /** the one folder or file the link shares (absent: the whole session) */
  scope?: string;
}

/**
 * What a link may share: the whole session, or one folder or file of it.
 */
export interface IScope {
  kind: 'session' | 'folder' | 'file';
  /** a contents path ('' for the whole session) */
  path: string;
}

/**
 * GET untrusted: the guests' writes that made a notebook's outputs untrusted.
 */
export interface IUntrusted {
  path: string;
  writes: { link: string; label: string | null; at: string }[];
}

/**
 * The session as seen by this browser, once known.
 */
export interface ICapellaShare {
  /**
   * Resolves with who you are once the handshake succeeded, or null when
   * the server extension is missing or of another version.
   */
  readonly ready: Promise<ISession | null>;

  /**
   * Resolves with GET info once the handshake succeeded, or null.
   */
  readonly info: Promise<IInfo | null>;
}

export const ICapellaShare = new Token<ICapellaShare>(
  'capella-share:ICapellaShare',
  'The capella-share session: who you are and what you may do.'
);

/**
 * What the server reports about this user: the permission of their link (or
 * "owner", from GET session) and the folders of read-only project shares (from
 * GET shares). Everything the Lab hides from a user is derived from these.
 */
export interface IAccessFacts {
  /** the link's permission, for the wording of refusals */
  permission: Permission | 'owner';
  /** what the policy allows this user */
  may: IMay;
  /** contents paths of the read-only project shares */
  readOnlyFolders: string[];
}

/**
 * What the current user may do here, kept up to date with the server.
 */
export interface IAccess {
  /** The facts as last reported (nothing is restricted until the server answered). */
  readonly facts: IAccessFacts;
  /** Emitted when the facts change. */
  readonly changed: ISignal<IAccess, void>;
  /** Ask the server again now. */
  refresh(): Promise<void>;
}

export const IAccess = new Token<IAccess>(
  'capella-share:IAccess',
  'What the current user may do here: their link permission and the read-only project shares.'
);

/**
 * Every command this extension adds.
 */
export namespace CommandIDs {
  export const openShareDialog = 'capella-share:open-share-dialog';
  /** Share the file or folder selected in the file browser. */
  export const sharePath = 'capella-share:share-path';
  export const openSharesPanel = 'capella-share:open-shares-panel';
  export const readOnlyNotice = 'capella-share:read-only-notice';
  export const openActivity = 'capella-share:open-activity';
}

export const PLUGIN_IDS = {
  session: 'capella-share:session',
  share: 'capella-share:share',
  guest: 'capella-share:guest',
  shares: 'capella-share:shares',
  access: 'capella-share:access',
  refusals: 'capella-share:refusals',
  trust: 'capella-share:trust',
  kernels: 'capella-share:kernels',
  heldKernels: 'capella-share:held-kernels',
  activity: 'capella-share:activity'
};

/**
 * The server's event when a kernel was restarted because a guest who had run
 * code in it lost access (capella_share/events.py).
 */
export const KERNEL_RESTARTED = 'urn:capella-share:event:kernel-restarted:v1';

/**
 * The page config option the server sets in a guest's Lab page ("guest"),
 * known before the server is asked anything.
 */
export const ROLE_OPTION = 'capellaShareRole';

/**
 * One record of the activity trail (docs/activity.md): who did what, when.
 * Guests' records name their link, user name, display name and level; the
 * owner's say `level: 'owner'`; the server's own carry no level.
 */
export interface IActivityRecord {
  seq: number;
  at: string;
  action: string;
  hash: string;
  level?: Permission | 'owner';
  link?: string;
  user?: string;
  name?: string;
  path?: string;
  to?: string;
  [field: string]: unknown;
}

/**
 * GET activity: a page of records, newest first.
 */
export interface IActivityPage {
  records: IActivityRecord[];
  /** the `before` of the next (older) page; null on the last */
  next: number | null;
  /** false when the server records nothing */
  recording: boolean;
  /** why the trail cannot be written now */
  problem: string | null;
}

/**
 * What GET activity is asked for.
 */
export interface IActivityQuery {
  link?: string;
  since?: string;
  before?: number;
  /** only the records whose `seq` is greater (newest first; `next` is null) */
  after?: number;
  limit?: number;
}

/**
 * The release of this Lab extension; a jest test keeps it equal to package.json.
 */
export const FRONTEND_VERSION = '0.1.0';

/**
 * A project share's permission in this session.
 */
export type SharePermission = 'read-write' | 'read-only';

/**
 * A project share as listed by GET shares.
 */
export interface IProjectShare {
  project: string;
  model: string;
  project_name: string;
  model_name: string;
  path: string;
  permission: SharePermission;
  /** null while the server is still counting */
  files: number | null;
  bytes: number | null;
  modified: string | null;
  exists: boolean;
  filesystem_read_only: boolean;
  created: string | null;
  /** a platform share whose change reaches this session only after a restart */
  restart_needed?: boolean;
  /** the platform's words about this share (why a restart is needed) */
  note?: string | null;
  /** your role in the share's project, when the hub's share registry keeps it */
  role?: 'manager' | 'read-write' | 'read-only' | null;
}

/**
 * Where a platform's shares are kept when it is a project registry: only its
 * managers change them, on its own page.
 */
export interface IRegistrySource {
  kind: 'registry';
  /** whether this user manages the project (may create and delete here) */
  manager: boolean;
  /** the registry's page */
  url: string;
}

/**
 * GET shares.
 */
export interface IShareList {
  shares: IProjectShare[];
  /** true: the platform's manifest decides; nothing can be changed here */
  managed: boolean;
  /** "local", "manifest", "mounts", or a project registry */
  source: string | IRegistrySource;
  /** where new shares are made, as a contents path ('' for the root) */
  shares_root: string;
  /** why the platform's manifest could not be used, if it could not */
  problem: string | null;
}

/**
 * DELETE shares/{project}/{model}.
 */
export interface IDeletedShare {
  deleted_files: number;
  deleted_bytes: number;
}

/**
 * A hub user or group this server is shared with (JupyterHub mode).
 */
export interface IGrant {
  id: string;
  kind: 'user' | 'group';
  name: string;
  permission: Permission;
  created: string;
  connections: IConnection[];
}

/**
 * GET hub/directory: hub users and groups whose names match.
 */
export interface IHubDirectory {
  users: string[];
  groups: string[];
}
