import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { Event } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ICapellaShare, KERNEL_RESTARTED, PLUGIN_IDS } from '../tokens';

/**
 * When a link ends, the server restarts each kernel that stays in which one of
 * its guests ran code (the kernel's state may hold what that code started).
 * The owner's Lab says so, naming the link, since the kernel's variables are
 * gone.
 */
export const kernelsPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_IDS.kernels,
  description:
    "Tells the owner when a kernel was restarted because a guest's link ended.",
  autoStart: true,
  requires: [ICapellaShare],
  optional: [ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    share: ICapellaShare,
    translator: ITranslator | null
  ) => {
    const session = await share.ready;
    if (!session || session.you.role !== 'owner') {
      return;
    }
    const trans = (translator ?? nullTranslator).load('capella_share');
    const kernels = app.serviceManager.kernels;
    app.serviceManager.events.stream.connect(
      (_: Event.IManager, event: Event.Emission) => {
        if (event.schema_id !== KERNEL_RESTARTED) {
          return;
        }
        const kernelId = String(event.kernel_id ?? '');
        const label = String(event.label ?? '') || String(event.link_id ?? '');
        const sessions = [...app.serviceManager.sessions.running()].filter(
          model => model.kernel?.id === kernelId
        );
        const where =
          sessions.map(model => model.path).join(', ') ||
          [...kernels.running()].find(k => k.id === kernelId)?.name ||
          kernelId;
        Notification.warning(
          trans.__(
            'The kernel of %1 was restarted: a guest of the ended link "%2" had run code in it, and what that code started could still be running. Its variables are gone; run your cells again.',
            where,
            label
          ),
          { autoClose: false }
        );
      }
    );
  }
};
