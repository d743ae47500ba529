import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { TranslationBundle } from '@jupyterlab/translation';

import { IProjectShare } from '../tokens';
import { isInShare } from './model';

/**
 * Tell the user of each share that is gone (deleted, or no longer theirs)
 * while they have documents from it open: those files are no longer on the
 * server, and only a copy saved elsewhere keeps what is in the tab.
 */
export function tellOfGoneShares(
  app: JupyterFrontEnd,
  documents: IDocumentManager,
  shares: ReadonlyArray<IProjectShare>,
  trans: TranslationBundle
): void {
  const contents = app.serviceManager.contents;
  for (const share of shares) {
    const names: string[] = [];
    for (const widget of app.shell.widgets('main')) {
      const context = documents.contextForWidget(widget);
      if (context && isInShare(contents.localPath(context.path), share)) {
        names.push(PathExt.basename(context.path));
      }
    }
    if (names.length > 0) {
      Notification.warning(
        trans.__(
          'The project share %1 is gone (deleted, or no longer shared with you): %2 no longer exists on the server. To keep what is open, save a copy elsewhere (File > Save As…).',
          share.path,
          names.join(', ')
        ),
        { autoClose: false }
      );
    }
  }
}
