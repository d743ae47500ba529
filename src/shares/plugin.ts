import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ICapellaShare, PLUGIN_IDS, ShareCommandIDs } from '../tokens';
import { sharesIcon } from './icon';

export const sharesPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_IDS.shares,
  description:
    'The "Project shares" side panel: project folders, read-write or read-only, with their size, download and irrevocable delete.',
  autoStart: true,
  requires: [ICapellaShare],
  optional: [
    ILayoutRestorer,
    IDefaultFileBrowser,
    ICommandPalette,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    capella: ICapellaShare,
    restorer: ILayoutRestorer | null,
    fileBrowser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('capella_share');

    const openFolder = async (path: string) => {
      if (!fileBrowser) {
        return;
      }
      await fileBrowser.model.cd(`/${path}`);
      app.shell.activateById(fileBrowser.id);
    };

    const panelId = 'capella-share-shares';
    void capella.ready.then(async session => {
      if (session === null) {
        return; // the server extension is missing or of another release
      }
      const { SharesPanel } = await import('./panel');
      const panel = new SharesPanel({
        trans,
        canManage: session.you.may.manage,
        openFolder
      });
      panel.id = panelId;
      panel.title.icon = sharesIcon;
      panel.title.caption = trans.__('Project shares');
      panel.node.setAttribute('aria-label', trans.__('Project shares'));
      // the Lab's left side bar, or Notebook 7's left panel
      app.shell.add(panel, 'left', { rank: 250, type: 'Project shares' });
      restorer?.add(panel, panelId);
    });

    app.commands.addCommand(ShareCommandIDs.openPanel, {
      label: trans.__('Show Project Shares'),
      caption: trans.__('Show the project shares panel'),
      icon: sharesIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(panelId)
    });
    palette?.addItem({
      command: ShareCommandIDs.openPanel,
      category: trans.__('Sharing')
    });
  }
};
