import { Token } from '@lumino/coreutils';

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
}

/**
 * Who the current user is in this session.
 */
export interface IYou {
  username: string;
  display_name: string;
  role: 'owner' | 'guest';
  permission: Permission | 'owner';
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
 * POST links.
 */
export interface ILinkRequest {
  permission: Permission;
  expires_in: number | null;
  label?: string;
  path?: string;
}

/**
 * The session as seen by this browser, once known.
 */
export interface ICapellaShare {
  /**
   * Resolves with the server's info once the handshake succeeded,
   * or null when the server extension is missing or of another version.
   */
  readonly ready: Promise<ISession | null>;
}

export const ICapellaShare = new Token<ICapellaShare>(
  'capella-share:ICapellaShare',
  'The capella-share session: who you are and what you may do.'
);

export namespace CommandIDs {
  export const openShareDialog = 'capella-share:open-share-dialog';
  export const readOnlyNotice = 'capella-share:read-only-notice';
}

export const PLUGIN_IDS = {
  session: 'capella-share:session',
  share: 'capella-share:share',
  guest: 'capella-share:guest'
};

/**
 * The release of this Lab extension; a jest test keeps it equal to package.json.
 */
export const FRONTEND_VERSION = '0.1.0';
