import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IProjectShare } from '../tokens';
import { isInShare } from './model';

/**
 * The tabs of the main area showing a file of `share`.
 */
function openFrom(
  app: JupyterFrontEnd,
  documents: IDocumentManager,
  share: IProjectShare
): Widget[] {
  const contents = app.serviceManager.contents;
  const found: Widget[] = [];
  for (const widget of app.shell.widgets('main')) {
    const context = documents.contextForWidget(widget);
    if (context && isInShare(contents.localPath(context.path), share)) {
      found.push(widget);
    }
  }
  return found;
}

/**
 * A share this user deleted (having typed its name to confirm the loss): the
 * tabs of its files are closed, as the files are no more.
 */
export function closeDeletedShare(
  app: JupyterFrontEnd,
  documents: IDocumentManager,
  share: IProjectShare
): void {
  for (const widget of openFrom(app, documents, share)) {
    widget.dispose();
  }
}

/**
 * Tell the user of each share that is gone (deleted by someone else, or no
 * longer theirs) while they have documents from it open: those files are no
 * longer on the server, and only a copy saved elsewhere keeps what is in a tab.
 * Told in few words: a notice longer than 140 characters is cut.
 */
export function tellOfGoneShares(
  app: JupyterFrontEnd,
  documents: IDocumentManager,
  shares: ReadonlyArray<IProjectShare>,
  trans: TranslationBundle
): void {
  for (const share of shares) {
    const open = openFrom(app, documents, share);
    if (open.length === 1) {
      Notification.warning(
        trans.__(
          'The share %1 is gone: save "%2" elsewhere (File > Save As) to keep it.',
          share.path,
          open[0].title.label
        ),
        { autoClose: false }
      );
    } else if (open.length > 1) {
      Notification.warning(
        trans.__(
          'The share %1 is gone: save its %2 open files elsewhere (File > Save As) to keep them.',
          share.path,
          open.length
        ),
        { autoClose: false }
      );
    }
  }
}
