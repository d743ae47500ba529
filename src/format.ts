import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

import {
  CodeConfinement,
  IScope,
  IConnection,
  ISharedPlace,
  Permission
} from './tokens';

/** English, for callers without a translator. */
const defaultBundle = nullTranslator.load('capella_share');

/**
 * How a scope is offered and listed: "Whole session", "This folder: x/",
 * "This notebook: x/a.ipynb".
 */
export function scopeLabel(
  scope: IScope,
  trans: TranslationBundle = defaultBundle
): string {
  switch (scope.kind) {
    case 'folder':
      return trans.__('This folder: %1/', scope.path);
    case 'file':
      return scope.path.endsWith('.ipynb')
        ? trans.__('This notebook: %1', scope.path)
        : trans.__('This file: %1', scope.path);
    default:
      return trans.__('Whole session');
  }
}

/**
 * The scopes the Share dialog offers: the whole session, the folder the file
 * browser shows and the document in front (if any), and one asked for; the
 * first of those last three that is given is chosen at first.
 */
export function scopeChoices(places: {
  folder?: string;
  document?: string;
  asked?: IScope;
}): { scopes: IScope[]; chosen: string } {
  const scopes: IScope[] = [{ kind: 'session', path: '' }];
  const add = (scope: IScope | undefined) => {
    if (scope && scope.path && !scopes.some(s => s.path === scope.path)) {
      scopes.push(scope);
    }
  };
  add(places.asked);
  add(places.document ? { kind: 'file', path: places.document } : undefined);
  add(places.folder ? { kind: 'folder', path: places.folder } : undefined);
  return { scopes, chosen: places.asked?.path ?? '' };
}

/**
 * The expiry choices offered in the Share dialog (seconds; null: never).
 */
export function expiryChoices(
  trans: TranslationBundle = defaultBundle
): ReadonlyArray<{ seconds: number | null; label: string }> {
  return [
    { seconds: 15 * 60, label: trans.__('15 minutes') },
    { seconds: 3600, label: trans.__('1 hour') },
    { seconds: 8 * 3600, label: trans.__('8 hours') },
    { seconds: 24 * 3600, label: trans.__('1 day') },
    { seconds: 7 * 24 * 3600, label: trans.__('7 days') },
    { seconds: null, label: trans.__('Never (until the session ends)') }
  ];
}

/**
 * A short name for a permission, as shown on badges and in lists.
 */
export function permissionLabel(
  permission: Permission | 'owner',
  trans: TranslationBundle = defaultBundle
): string {
  switch (permission) {
    case 'view':
      return trans.__('View only');
    case 'edit':
      return trans.__('Can edit');
    case 'full':
      return trans.__('Full access');
    default:
      return trans.__('Owner');
  }
}

/**
 * The security warning for a URL that carries a link of this permission
 * (or, with null, for the plain session URL).
 */
export function warningFor(
  permission: Permission | null,
  trans: TranslationBundle = defaultBundle,
  code: CodeConfinement = 'sandbox',
  scope = ''
): string {
  const until = trans.__(
    'until the link expires or you revoke it. Ending the session revokes every link.'
  );
  const files = scope
    ? trans.__('the files of %1 (and nothing else of this session)', scope)
    : trans.__('every file in this session');
  const runs =
    code === 'sandbox'
      ? scope
        ? trans.__(
            'Their code runs in a sandbox that sees %1 only: not your token, your other files or your processes; it can still reach the network.',
            scope
          )
        : trans.__(
            'Their code runs in a sandbox that sees this session’s files but not your token, your other files or your processes; it can still reach the network.'
          )
      : trans.__(
          'No sandbox works on this server: their code runs as you and can read your token and every file you can.'
        );
  switch (permission) {
    case 'view':
      return trans.__(
        'Anyone with this URL can open, read and download %1 and watch notebooks change live, %2',
        files,
        until
      );
    case 'edit':
      return trans.__(
        'Anyone with this URL can read and change %1 and run code in kernels, %2 %3',
        files,
        until,
        runs
      );
    case 'full':
      return scope
        ? trans.__(
            'Anyone with this URL can read and change %1, run code in kernels and open terminals there, %2 %3',
            files,
            until,
            runs
          )
        : trans.__(
            'Anyone with this URL can do everything you can in this session, terminals included, %1 %2',
            until,
            runs
          );
    default:
      return trans.__(
        'This URL carries no access of its own: whoever opens it must log in. Tick "Include the token in the URL" to make a link that lets people in.'
      );
  }
}

/**
 * How long until `expiresAt`: "in 5 min", "in 2 h 10 min", "never", "expired".
 */
export function formatRemaining(
  expiresAt: string | null,
  now: number = Date.now(),
  trans: TranslationBundle = defaultBundle
): string {
  if (expiresAt === null) {
    return trans.__('never');
  }
  const seconds = Math.floor((Date.parse(expiresAt) - now) / 1000);
  if (isNaN(seconds)) {
    return trans.__('unknown');
  }
  if (seconds <= 0) {
    return trans.__('expired');
  }
  if (seconds < 60) {
    return trans.__('in %1 s', seconds);
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return trans.__('in %1 min', minutes);
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return minutes % 60
      ? trans.__('in %1 h %2 min', hours, minutes % 60)
      : trans.__('in %1 h', hours);
  }
  const days = Math.floor(hours / 24);
  return hours % 24
    ? trans.__('in %1 d %2 h', days, hours % 24)
    : trans.__('in %1 d', days);
}

/**
 * Who is connected through a link or a grant: their names, or "nobody".
 */
export function connectedNames(
  connections: ReadonlyArray<IConnection>,
  trans: TranslationBundle = defaultBundle
): string {
  return connections.length === 0
    ? trans.__('nobody')
    : connections.map(c => c.display_name).join(', ');
}

/**
 * Whether the frontend and the server extension come from the same release.
 */
export function sameRelease(frontend: string, server: string): boolean {
  return frontend.trim() === server.trim();
}

/**
 * The place a page of this server shares from, from its URL path: Notebook 7's
 * tree, notebook or editor page and the file it shows; the Lab otherwise (a
 * Lab link opens the whole session).
 */
export function sharedPlace(pathname: string, basePath: string): ISharedPlace {
  const lab: ISharedPlace = { page: 'lab', path: '' };
  const base = basePath.endsWith('/') ? basePath : `${basePath}/`;
  if (!pathname.startsWith(base)) {
    return lab;
  }
  const [page, ...rest] = pathname.slice(base.length).split('/');
  const path = rest
    .filter(part => part !== '')
    .map(part => decodeURIComponent(part))
    .join('/');
  switch (page) {
    case 'tree':
      return { page, path };
    case 'notebooks':
    case 'edit':
      return path ? { page, path } : lab;
    default:
      return lab;
  }
}
