import { TranslationBundle } from '@jupyterlab/translation';

import { IAccessFacts, IMay, IProjectShare, Permission } from '../tokens';

/** Before the server has answered: nothing is hidden yet. */
export const UNKNOWN_FACTS: IAccessFacts = {
  permission: 'owner',
  may: {
    write: true,
    run: true,
    terminals: true,
    settings: true,
    shutdown: true,
    manage: true
  },
  readOnlyFolders: []
};

/**
 * The facts from GET session (permission and what the policy allows) and GET
 * shares' list.
 */
export function factsFrom(
  permission: Permission | 'owner',
  may: IMay,
  shares: Pick<IProjectShare, 'path' | 'permission'>[]
): IAccessFacts {
  return {
    permission,
    may,
    readOnlyFolders: shares
      .filter(share => share.permission === 'read-only')
      .map(share => normalPath(share.path))
  };
}

/**
 * A contents path without leading or trailing slashes ('' for the root).
 */
export function normalPath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/**
 * Whether `path` is `folder` or lies inside it.
 */
export function isWithin(path: string, folder: string): boolean {
  const p = normalPath(path);
  const f = normalPath(folder);
  return f === '' || p === f || p.startsWith(`${f}/`);
}

/**
 * Whether the policy refuses this user every write (a view link): the server
 * also reports every file to it as not writable.
 */
function readsOnly(facts: IAccessFacts): boolean {
  return !facts.may.write;
}

/**
 * Whether anything at all is withheld from this user.
 */
export function isRestricted(facts: IAccessFacts): boolean {
  return (
    Object.values(facts.may).some(allowed => !allowed) ||
    facts.readOnlyFolders.length > 0
  );
}

/**
 * The read-only project share that holds `path`, if one does.
 */
export function readOnlyFolderOf(
  facts: IAccessFacts,
  path: string
): string | null {
  return facts.readOnlyFolders.find(folder => isWithin(path, folder)) ?? null;
}

/**
 * Whether files may be made or changed at `path` (a file, or a folder to make
 * files in).
 */
export function mayWrite(facts: IAccessFacts, path: string): boolean {
  return !readsOnly(facts) && readOnlyFolderOf(facts, path) === null;
}

/**
 * Whether `path` may be renamed, moved or deleted: it must be writable and hold
 * no read-only project share (the server refuses to move one away).
 */
export function mayRemove(facts: IAccessFacts, path: string): boolean {
  return (
    mayWrite(facts, path) &&
    !facts.readOnlyFolders.some(folder => isWithin(folder, path))
  );
}

/**
 * Whether files may be written anywhere at all (Save As elsewhere, say).
 */
export function mayWriteSomewhere(facts: IAccessFacts): boolean {
  return !readsOnly(facts);
}

/**
 * Whether code may run: kernels, notebooks' cells, consoles.
 */
export function mayRunCode(facts: IAccessFacts): boolean {
  return facts.may.run;
}

/**
 * What a command does that not everyone may do, and where it does it.
 * - `create`: makes a file in a folder (`cwd` or `path` in its arguments, else
 *   the file browser's folder);
 * - `change`: renames, moves, deletes, saves or copies beside itself what the
 *   file browser has selected (`selection`) or the current document (`document`);
 * - `write-somewhere`: writes files the user picks (Save As, Save All);
 * - `run`: runs code or manages kernels;
 * - `end-session`: shuts the server down.
 */
export type CommandNeed =
  | { does: 'create' }
  | { does: 'change'; of: 'selection' | 'document'; action: Action }
  | { does: 'write-somewhere' }
  | { does: 'run' }
  | { does: 'end-session' };

const CREATE: CommandNeed = { does: 'create' };
const RUN: CommandNeed = { does: 'run' };

function change(of: 'selection' | 'document', action: Action): CommandNeed {
  return { does: 'change', of, action };
}

/**
 * The commands of JupyterLab and Notebook 7 that create, change or run
 * something. This says what each command does, not who may do it: who may is
 * derived from the server's facts (see `commandRefusal`).
 */
const COMMANDS: Record<string, CommandNeed> = {
  'filebrowser:create-new-file': CREATE,
  'filebrowser:create-new-directory': CREATE,
  'filebrowser:create-new-markdown-file': CREATE,
  'filebrowser:paste': CREATE,
  'filebrowser:open-url': CREATE,
  'notebook:create-new': CREATE,
  'fileeditor:create-new': CREATE,
  'fileeditor:create-new-markdown-file': CREATE,
  'docmanager:new-untitled': CREATE,
  'filebrowser:rename': change('selection', 'rename'),
  'filebrowser:cut': change('selection', 'rename'),
  'filebrowser:delete': change('selection', 'delete'),
  'filebrowser:duplicate': change('selection', 'create'),
  'docmanager:rename': change('document', 'rename'),
  'docmanager:delete': change('document', 'delete'),
  'docmanager:duplicate': change('document', 'create'),
  'docmanager:save': change('document', 'save'),
  'docmanager:restore-checkpoint': change('document', 'save'),
  'application:rename': change('document', 'rename'),
  'application:duplicate': change('document', 'create'),
  'docmanager:save-as': { does: 'write-somewhere' },
  'docmanager:save-all': { does: 'write-somewhere' },
  'filemenu:shutdown': { does: 'end-session' },
  'filemenu:create-console': RUN,
  'filebrowser:shutdown': RUN,
  'notebook:change-kernel': RUN,
  'notebook:interrupt-kernel': RUN,
  'notebook:reconnect-to-kernel': RUN,
  'notebook:shutdown-kernel': RUN,
  'notebook:create-console': RUN,
  'fileeditor:create-console': RUN,
  'fileeditor:run-code': RUN,
  'fileeditor:run-all': RUN,
  'running:kernel-new-console': RUN,
  'running:kernel-new-notebook': RUN,
  'running:kernel-shut-down': RUN,
  'running:kernel-shut-down-unused': RUN
};

/** The commands above that only Notebook 7 has (JupyterLab does not). */
const NOTEBOOK_ONLY = new Set(['application:rename', 'application:duplicate']);

/**
 * The command ids named above that the app called `appName` should have (its
 * `JupyterFrontEnd.name`): all of them in Notebook 7, all but Notebook 7's own
 * in JupyterLab. Whether the running app has them is checked through
 * `upstream.ts`.
 */
export function ruledCommands(appName: string): string[] {
  const ids = Object.keys(COMMANDS);
  return appName === 'JupyterLab'
    ? ids.filter(id => !NOTEBOOK_ONLY.has(id))
    : ids;
}

/** Whole families of commands that run code. */
const RUN_PREFIXES = [
  'console:',
  'kernelmenu:',
  'runmenu:',
  'notebook:run-',
  'notebook:restart-'
];

/**
 * What `command` does that needs a permission, or null when anyone may run it.
 */
export function commandNeed(command: string): CommandNeed | null {
  if (command in COMMANDS) {
    return COMMANDS[command];
  }
  return RUN_PREFIXES.some(prefix => command.startsWith(prefix)) ? RUN : null;
}

/**
 * Where a command would act: the folder it works in (the one it creates in, or
 * the one holding what it changes) and the paths it changes.
 */
export interface ICommandTarget {
  folder: string;
  paths: string[];
}

/**
 * Why `need` may not be met at `target`, in the user's words; null if it may.
 */
export function commandRefusal(
  facts: IAccessFacts,
  need: CommandNeed,
  target: ICommandTarget,
  trans: TranslationBundle
): string | null {
  switch (need.does) {
    case 'run':
      return mayRunCode(facts) ? null : linkRefusal(facts, 'run', trans);
    case 'write-somewhere':
      return mayWriteSomewhere(facts)
        ? null
        : linkRefusal(facts, 'save', trans);
    case 'end-session':
      return facts.may.shutdown
        ? null
        : linkRefusal(facts, 'end-session', trans);
    case 'create':
      return writeRefusal(facts, [target.folder], 'create', trans);
    case 'change':
      return removeRefusal(facts, target, need.action, trans);
  }
}

function writeRefusal(
  facts: IAccessFacts,
  paths: string[],
  action: Action,
  trans: TranslationBundle
): string | null {
  if (readsOnly(facts)) {
    return linkRefusal(facts, action, trans);
  }
  for (const path of paths) {
    const folder = readOnlyFolderOf(facts, path);
    if (folder !== null) {
      return shareRefusal(folder, action, trans);
    }
  }
  return null;
}

function removeRefusal(
  facts: IAccessFacts,
  target: ICommandTarget,
  action: Action,
  trans: TranslationBundle
): string | null {
  const refusal = writeRefusal(
    facts,
    [target.folder, ...target.paths],
    action,
    trans
  );
  if (refusal !== null) {
    return refusal;
  }
  for (const path of target.paths) {
    const held = facts.readOnlyFolders.find(folder => isWithin(folder, path));
    if (held !== undefined) {
      return trans.__(
        '"%1" holds the read-only project share "%2": it cannot be renamed, moved or deleted.',
        normalPath(path),
        held
      );
    }
  }
  return null;
}

/**
 * What a refused request tried to do.
 */
export type Action =
  | 'create'
  | 'save'
  | 'rename'
  | 'delete'
  | 'change'
  | 'run'
  | 'terminals'
  | 'settings'
  | 'links'
  | 'shares'
  | 'end-session';

function actionPhrase(action: Action, trans: TranslationBundle): string {
  switch (action) {
    case 'create':
      return trans.__('create files');
    case 'save':
      return trans.__('save files');
    case 'rename':
      return trans.__('rename or move files');
    case 'delete':
      return trans.__('delete files');
    case 'change':
      return trans.__('change files');
    case 'run':
      return trans.__('run code');
    case 'terminals':
      return trans.__('open terminals');
    case 'settings':
      return trans.__('change the session owner’s settings');
    case 'links':
      return trans.__('manage share links');
    case 'shares':
      return trans.__('manage project shares');
    case 'end-session':
      return trans.__('shut the session down');
  }
}

/**
 * "This is a view-only link: you cannot create files."
 */
export function linkRefusal(
  facts: Pick<IAccessFacts, 'permission'>,
  action: Action,
  trans: TranslationBundle
): string {
  const phrase = actionPhrase(action, trans);
  switch (facts.permission) {
    case 'view':
      return trans.__('This is a view-only link: you cannot %1.', phrase);
    case 'edit':
      return trans.__('This is an edit link: you cannot %1.', phrase);
    case 'full':
      return trans.__('This is a full-access link: you cannot %1.', phrase);
    default:
      return trans.__('You cannot %1 here.', phrase);
  }
}

/**
 * "“reference” is in a read-only project share: you cannot create files there."
 */
export function shareRefusal(
  folder: string,
  action: Action,
  trans: TranslationBundle
): string {
  return trans.__(
    '"%1" is a read-only project share: you cannot %2 there. Save a copy elsewhere, or ask the share’s owner to make it read-write.',
    normalPath(folder),
    actionPhrase(action, trans)
  );
}
