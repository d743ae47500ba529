import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ICellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ShareClient } from '../client';
import { errorMessage } from '../request';
import { ICapellaShare, IUntrusted, PLUGIN_IDS } from '../tokens';

/** How long after a change the owner's Lab asks why outputs are untrusted. */
const ASK_DELAY_MS = 500;

/**
 * The server decides what a guest's writing may run (it stores a guest's
 * notebooks unsigned and makes a guest's live changes untrusted). The owner's
 * Lab adds its own check, and says why: a cell whose shared model says it is
 * not trusted is made untrusted here too (JupyterLab reads a cell's trust only
 * when it makes the cell), and a notebook whose outputs guests made untrusted
 * is named in a notice, with the way to trust it after reading it.
 */
export const trustPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_IDS.trust,
  description:
    "Keeps guests' outputs untrusted in the owner's Lab and says why they are.",
  autoStart: true,
  requires: [ICapellaShare, INotebookTracker],
  optional: [ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    share: ICapellaShare,
    notebooks: INotebookTracker,
    translator: ITranslator | null
  ) => {
    const session = await share.ready;
    if (!session || session.you.role !== 'owner') {
      return;
    }
    const trans = (translator ?? nullTranslator).load('capella_share');
    const client = new ShareClient(app.serviceManager.serverSettings);
    const told = new Map<string, number>();

    const follow = (cell: ICellModel) => {
      cell.sharedModel.changed.connect((_, change) => {
        if (
          change.metadataChange?.has('trusted') &&
          !cell.sharedModel.getMetadata('trusted') &&
          cell.trusted
        ) {
          cell.trusted = false;
        }
      });
    };

    const tell = async (panel: NotebookPanel) => {
      const path = panel.context.path;
      const untrusted = [...panel.content.widgets].some(
        widget =>
          widget.model.type === 'code' &&
          !widget.model.trusted &&
          (widget.model as any).outputs?.length > 0
      );
      if (!untrusted) {
        return;
      }
      let answer: IUntrusted;
      try {
        answer = await client.untrusted(path);
      } catch (error) {
        console.warn(`capella-share: ${errorMessage(error)}`);
        return;
      }
      if (answer.writes.length <= (told.get(path) ?? 0)) {
        return;
      }
      told.set(path, answer.writes.length);
      const names = [
        ...new Set(
          answer.writes.map(write =>
            write.label
              ? trans.__('"%1"', write.label)
              : trans.__('a link without a label')
          )
        )
      ].join(', ');
      Notification.warning(
        trans.__(
          'Outputs that guests of %1 wrote in %2 are untrusted: their scripts do not run.',
          names,
          path
        ),
        {
          autoClose: false,
          actions: [
            {
              label: trans.__('Trust Notebook'),
              caption: trans.__(
                'Once you have read them: run the outputs of %1 as trusted',
                path
              ),
              callback: () => {
                void app.commands.execute('notebook:trust');
              }
            }
          ]
        }
      );
    };

    notebooks.widgetAdded.connect((_, panel) => {
      let timer = 0;
      const later = () => {
        window.clearTimeout(timer);
        timer = window.setTimeout(() => void tell(panel), ASK_DELAY_MS);
      };
      void panel.context.ready.then(() => {
        const model = panel.content.model;
        if (!model) {
          return;
        }
        for (const cell of model.cells) {
          follow(cell);
        }
        model.cells.changed.connect((_, change) => {
          if (change.type === 'add') {
            change.newValues.forEach(follow);
          }
          later();
        });
        model.contentChanged.connect(later);
        later();
      });
    });
  }
};
