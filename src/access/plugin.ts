import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import {
  FileBrowser,
  IDefaultFileBrowser,
  IFileBrowserFactory
} from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import { ShareClient } from '../client';
import { IAccess, ICapellaShare, PLUGIN_IDS } from '../tokens';
// The gate is put in place synchronously, at activation.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  gateCommands,
  MAIN_MENU_IDS,
  reportMissingCommands,
  reportUpstream,
  trimMenusForViewing
} from '../upstream';
import { guardFileBrowser } from './filebrowser';
import { ILauncherAccess, restrictLauncher } from './launcher';
// The gate decides synchronously, before the Lab draws its menus: these
// modules are needed at activation, not later.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AccessModel } from './model';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { explainResponses } from './responses';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  CommandNeed,
  commandNeed,
  commandRefusal,
  ICommandTarget,
  isRestricted,
  mayRemove,
  mayWrite,
  mayWriteSomewhere,
  readOnlyFolderOf,
  ruledCommands
} from './rules';

/**
 * Where the Lab's file and document commands act, as they find it themselves:
 * arguments first, then the current file browser or document.
 */
class CommandTargets {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _browsers: IFileBrowserFactory | null,
    private readonly _defaultBrowser: IDefaultFileBrowser | null,
    private readonly _documents: IDocumentManager | null
  ) {}

  /** The folder a file browser shows, as a contents path. */
  folderOf = (browser: FileBrowser): string => this._local(browser.model.path);

  of(need: CommandNeed, args: ReadonlyPartialJSONObject): ICommandTarget {
    const browser =
      this._browsers?.tracker.currentWidget ?? this._defaultBrowser;
    const folder = browser ? this.folderOf(browser) : '';
    if (need.does === 'create') {
      const named = args.cwd ?? args.path;
      return {
        folder: typeof named === 'string' ? this._local(named) : folder,
        paths: []
      };
    }
    if (need.does === 'change' && need.of === 'document') {
      // no document: nothing of ours to decide (the command has nothing to act on)
      const path = this._documentPath();
      return path === null
        ? { folder: '', paths: [] }
        : { folder: path.split('/').slice(0, -1).join('/'), paths: [path] };
    }
    const selected = browser ? [...browser.selectedItems()] : [];
    return { folder, paths: selected.map(item => this._local(item.path)) };
  }

  private _documentPath(): string | null {
    const widget = this._app.shell.currentWidget;
    const context = widget ? this._documents?.contextForWidget(widget) : null;
    return context ? this._local(context.path) : null;
  }

  private _local(path: string): string {
    return this._app.serviceManager.contents.localPath(path);
  }
}

/**
 * A view link's launcher offers nothing (every tile makes or runs something)
 * and says so; elsewhere a launcher offers what its folder allows.
 */
function launcherAccess(
  access: IAccess,
  refusal: (command: string, args: ReadonlyPartialJSONObject) => string | null,
  closed: () => boolean,
  trans: TranslationBundle
): ILauncherAccess {
  return {
    allowed: (item, cwd) =>
      !closed() &&
      mayWriteSomewhere(access.facts) &&
      refusal(item.command, { ...item.args, cwd }) === null,
    note: cwd => {
      if (closed() || !mayWriteSomewhere(access.facts)) {
        return trans.__('View only: you can open and read files.');
      }
      const folder = readOnlyFolderOf(access.facts, cwd);
      return folder === null
        ? ''
        : trans.__(
            '"%1" is a read-only project share: nothing new can be made in it.',
            folder
          );
    }
  };
}

export const accessPlugin: JupyterFrontEndPlugin<IAccess> = {
  id: PLUGIN_IDS.access,
  description:
    'Offers each user only what they may do: no creating, changing or running where the server would refuse it.',
  autoStart: true,
  provides: IAccess,
  requires: [ICapellaShare],
  optional: [
    IFileBrowserFactory,
    IDefaultFileBrowser,
    IDocumentManager,
    ILauncher,
    IMainMenu,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    capella: ICapellaShare,
    browsers: IFileBrowserFactory | null,
    defaultBrowser: IDefaultFileBrowser | null,
    documents: IDocumentManager | null,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null,
    translator: ITranslator | null
  ): IAccess => {
    const trans = (translator ?? nullTranslator).load('capella_share');
    const access = new AccessModel(
      new ShareClient(app.serviceManager.serverSettings),
      capella.ready
    );
    const targets = new CommandTargets(
      app,
      browsers,
      defaultBrowser,
      documents
    );

    const refusal = (command: string, args: ReadonlyPartialJSONObject) => {
      const need = commandNeed(command);
      if (need === null || !isRestricted(access.facts)) {
        return null;
      }
      return commandRefusal(access.facts, need, targets.of(need, args), trans);
    };
    const gated = gateCommands(
      app.commands,
      refusal,
      why => Notification.warning(why, { autoClose: 5000 }),
      command => {
        const need = commandNeed(command);
        return need?.does === 'change' && need.action === 'save'
          ? access.refresh()
          : null;
      }
    );
    if (!gated) {
      reportUpstream('the command registry could not be wrapped', app.version);
    }
    // Without the gate nothing is judged: a restricted user is then offered
    // what a view link is (no writing, no running) wherever this module can.
    const closed = () => !gated && isRestricted(access.facts);
    const mayWriteHere = (path: string) =>
      !closed() && mayWrite(access.facts, path);

    // Once every plugin has added its commands: the rules' commands the Lab
    // lacks are named (a renamed one would go unjudged).
    void app.restored.then(() => {
      reportMissingCommands(
        app.commands,
        [...ruledCommands(app.name), MAIN_MENU_IDS.newLauncher],
        app.version
      );
    });

    // Whatever decides what is offered changed: the facts, or a folder shown.
    const changed = new Signal<AccessModel, void>(access);
    access.changed.connect(() => changed.emit());
    changed.connect(() => {
      // menus and the palette listen to any change; toolbar buttons to their own
      app.commands.notifyCommandChanged();
      for (const id of app.commands.listCommands()) {
        if (commandNeed(id) !== null) {
          app.commands.notifyCommandChanged(id);
        }
      }
    });

    const follow = (browser: FileBrowser) => {
      guardFileBrowser(
        browser,
        {
          mayWrite: mayWriteHere,
          mayWriteBelow: folder => !closed() && mayRemove(access.facts, folder),
          folderOf: targets.folderOf,
          unexpected: () =>
            reportUpstream(
              "the file browser's DOM is not as expected",
              app.version
            )
        },
        changed
      );
      browser.model.pathChanged.connect(() => {
        changed.emit();
        void access.refresh();
      });
    };
    browsers?.tracker.forEach(follow);
    browsers?.tracker.widgetAdded.connect((_, browser) => follow(browser));
    browsers?.tracker.currentChanged.connect(() => changed.emit());

    if (launcher) {
      const offers = launcherAccess(access, refusal, closed, trans);
      app.commands.commandExecuted.connect((_, executed) => {
        if (executed.id === MAIN_MENU_IDS.newLauncher) {
          void executed.result.then(widget =>
            restrictLauncher(widget, offers, changed)
          );
        }
      });
    }

    void capella.ready.then(session => {
      if (session && (!session.you.may.run || closed()) && mainMenu) {
        if (!trimMenusForViewing(mainMenu)) {
          reportUpstream('the main menu is not as expected', app.version);
        }
      }
    });
    return access;
  }
};

export const refusalsPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_IDS.refusals,
  description:
    'Shows what the server refuses in plain words, in the user’s language, instead of its stock messages.',
  autoStart: true,
  requires: [IAccess],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    access: IAccess,
    translator: ITranslator | null
  ) => {
    explainResponses(
      app.serviceManager.serverSettings,
      access,
      (translator ?? nullTranslator).load('capella_share')
    );
  }
};
