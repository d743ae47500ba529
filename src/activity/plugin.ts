import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { listIcon } from '@jupyterlab/ui-components';
import { DisposableSet } from '@lumino/disposable';

import { CommandIDs, ICapellaShare, PLUGIN_IDS } from '../tokens';
import type { ActivityPanel } from './panel';

/**
 * The id of the main-area widget showing a link's activity (every link's
 * without one): one each, shown again when asked again.
 */
function widgetId(link: string | null): string {
  return `capella-share-activity-${link ?? 'all'}`;
}

/**
 * What the server recorded of each link's guests, shown to the owner: a
 * link's row in the Share dialog opens its activity, the palette every link's;
 * newest first, asking the server every few seconds for new records while the
 * view is shown, with a CSV download.
 */
function makeActivityPlugin(): JupyterFrontEndPlugin<void> {
  let made = new DisposableSet();
  return {
    id: PLUGIN_IDS.activity,
    description:
      "What each link's guests did (the server's activity trail), for the owner.",
    autoStart: true,
    requires: [ICapellaShare],
    optional: [ICommandPalette, ITranslator],
    activate: (
      app: JupyterFrontEnd,
      capella: ICapellaShare,
      palette: ICommandPalette | null,
      translator: ITranslator | null
    ) => {
      const trans = (translator ?? nullTranslator).load('capella_share');
      made = new DisposableSet();
      const owned = made;
      const open = new Map<string, MainAreaWidget<ActivityPanel>>();
      let mayManage = false;

      void capella.ready.then(session => {
        mayManage = session?.you.may.manage ?? false;
        app.commands.notifyCommandChanged(CommandIDs.openActivity);
      });

      owned.add(
        app.commands.addCommand(CommandIDs.openActivity, {
          label: args =>
            args.link
              ? trans.__(
                  'Activity of the link "%1"',
                  String(args.label || args.link)
                )
              : trans.__('Show Share Activity'),
          caption: trans.__(
            'What guests did through each link: arrivals, files, code run, refusals'
          ),
          icon: listIcon,
          isVisible: () => mayManage,
          isEnabled: () => mayManage,
          describedBy: {
            args: {
              type: 'object',
              properties: {
                link: { type: 'string', description: "the link's id" },
                label: { type: 'string', description: "the link's label" }
              }
            }
          },
          execute: async args => {
            const link = args.link ? String(args.link) : null;
            const id = widgetId(link);
            const known = open.get(id);
            if (known && !known.isDisposed) {
              app.shell.activateById(id);
              void known.content.model.refresh();
              return;
            }
            const { ShareClient } = await import('../client');
            const { ActivityModel } = await import('./model');
            const { ActivityPanel } = await import('./panel');
            const client = new ShareClient(app.serviceManager.serverSettings);
            const label = String(args.label || '') || link || '';
            const content = new ActivityPanel({
              model: new ActivityModel({ client, link }),
              trans,
              title: label,
              csvURL: client.activityCsvURL(link ?? undefined),
              open: path =>
                void app.commands.execute('docmanager:open', { path })
            });
            const widget = new MainAreaWidget({ content });
            widget.id = id;
            widget.title.label = link
              ? trans.__('Activity: %1', label)
              : trans.__('Share activity');
            widget.title.icon = listIcon;
            widget.title.closable = true;
            open.set(id, widget);
            widget.disposed.connect(() => open.delete(id));
            app.shell.add(widget, 'main');
            app.shell.activateById(id);
          }
        })
      );
      const item = palette?.addItem({
        command: CommandIDs.openActivity,
        category: trans.__('Sharing')
      });
      if (item) {
        owned.add(item);
      }
    },
    deactivate: () => made.dispose()
  };
}

export const activityPlugin = makeActivityPlugin();
