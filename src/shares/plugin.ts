import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { DisposableSet } from '@lumino/disposable';

import { ShareClient } from '../client';
import { CommandIDs, ICapellaShare, PLUGIN_IDS } from '../tokens';
import { sharesIcon } from './icon';

const PANEL_ID = 'capella-share-shares';

/**
 * The plugin, with what it made kept for its deactivation: the panel (and the
 * polling of its model), the command and its palette item.
 */
function makeSharesPlugin(): JupyterFrontEndPlugin<void> {
  let made = new DisposableSet();
  return {
    id: PLUGIN_IDS.shares,
    description:
      'The "Project shares" side panel: project folders, read-write or read-only, with their size, download and irrevocable delete.',
    autoStart: true,
    requires: [ICapellaShare],
    optional: [
      ILayoutRestorer,
      IDefaultFileBrowser,
      ICommandPalette,
      ITranslator,
      IDocumentManager
    ],
    activate: (
      app: JupyterFrontEnd,
      capella: ICapellaShare,
      restorer: ILayoutRestorer | null,
      fileBrowser: IDefaultFileBrowser | null,
      palette: ICommandPalette | null,
      translator: ITranslator | null,
      documents: IDocumentManager | null
    ) => {
      const trans = (translator ?? nullTranslator).load('capella_share');
      made = new DisposableSet();
      const owned = made;

      const openFolder = async (path: string) => {
        if (!fileBrowser) {
          return;
        }
        await fileBrowser.model.cd(`/${path}`);
        app.shell.activateById(fileBrowser.id);
      };

      void capella.ready.then(async session => {
        if (session === null || owned.isDisposed) {
          return; // the server extension is missing or of another release
        }
        const { SharesModel } = await import('./model');
        const { SharesPanel } = await import('./panel');
        const model = new SharesModel({
          client: new ShareClient(app.serviceManager.serverSettings),
          mayManage: session.you.may.manage
        });
        if (documents) {
          const { closeDeletedShare, tellOfGoneShares } =
            await import('./gone');
          model.removed.connect((_, gone) =>
            tellOfGoneShares(app, documents, gone, trans)
          );
          model.deleted.connect((_, share) =>
            closeDeletedShare(app, documents, share)
          );
        }
        // watched while hidden too, so that a share deleted meanwhile is told of
        model.stop();
        const panel = new SharesPanel({ model, trans, openFolder });
        owned.add(panel);
        panel.id = PANEL_ID;
        panel.title.icon = sharesIcon;
        panel.title.caption = trans.__('Project shares');
        panel.node.setAttribute('aria-label', trans.__('Project shares'));
        panel.node.setAttribute('role', 'region');
        // the Lab's left side bar, or Notebook 7's left panel
        app.shell.add(panel, 'left', { rank: 250, type: 'Project shares' });
        restorer?.add(panel, PANEL_ID);
      });

      owned.add(
        app.commands.addCommand(CommandIDs.openSharesPanel, {
          label: trans.__('Show Project Shares'),
          caption: trans.__('Show the project shares panel'),
          icon: sharesIcon,
          describedBy: { args: { type: 'object', properties: {} } },
          execute: () => app.shell.activateById(PANEL_ID)
        })
      );
      const item = palette?.addItem({
        command: CommandIDs.openSharesPanel,
        category: trans.__('Sharing')
      });
      if (item) {
        owned.add(item);
      }
    },
    deactivate: () => made.dispose()
  };
}

export const sharesPlugin = makeSharesPlugin();
