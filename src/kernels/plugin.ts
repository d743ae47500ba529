import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Event } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ShareClient } from '../client';
import {
  ICapellaShare,
  KERNEL_RESTARTED,
  PLUGIN_IDS,
  ROLE_OPTION
} from '../tokens';
// A guest's kernel connections are decided from activation on, before any
// document asks for its kernel: needed at once, not later.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { GuestKernelConnection, holdKernelsOff, KernelsOff } from './held';

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

/**
 * The notebook toolbar's word on a kernel the guest may not connect to (the
 * owner's, with the server's reason as its tooltip) and, where the guest may
 * run code (so would expect to here), the server's reason above the notebook.
 */
function followHeldKernel(
  panel: NotebookPanel,
  trans: TranslationBundle,
  mayRun: Promise<boolean>
): void {
  const node = document.createElement('span');
  node.className = 'jp-CapellaShare-heldKernel';
  node.setAttribute('role', 'status');
  node.textContent = trans.__('Owner’s kernel');
  // owned by the toolbar it goes in, as the note is by the content header
  // eslint-disable-next-line jupyter/require-disposable-ownership
  const badge = new Widget({ node });
  badge.hide();
  if (!panel.toolbar.insertAfter('kernelName', 'capella-share-kernel', badge)) {
    panel.toolbar.addItem('capella-share-kernel', badge);
  }
  const note = new Widget({ node: document.createElement('p') });
  note.addClass('jp-CapellaShare-heldKernelNote');
  note.node.setAttribute('role', 'note');
  note.hide();
  panel.contentHeader.addWidget(note);

  const update = () => {
    const kernel = panel.sessionContext.session?.kernel;
    if (!(kernel instanceof GuestKernelConnection)) {
      badge.hide();
      note.hide();
      return;
    }
    void Promise.all([kernel.held, mayRun]).then(([why, may]) => {
      if (panel.sessionContext.session?.kernel !== kernel) {
        return;
      }
      node.title = why ?? '';
      note.node.textContent = why ?? '';
      badge.setHidden(why === null);
      note.setHidden(why === null || !may);
    });
  };
  panel.sessionContext.kernelChanged.connect(update);
  update();
}

/**
 * A guest's Lab opens no kernel websocket the server would refuse: for a view
 * link none at all, for an edit or full link none to the owner's kernels that
 * run outside the sandbox. Such a kernel shows as the owner's, running (its
 * state read from the server), instead of "Connecting" forever; where the
 * guest may run code, the notebook says the server's reason.
 */
export const heldKernelsPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_IDS.heldKernels,
  description:
    'Keeps a guest’s Lab from connecting to kernels the server refuses it, and shows them as the owner’s.',
  autoStart: true,
  requires: [ICapellaShare],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    share: ICapellaShare,
    translator: ITranslator | null
  ) => {
    // decided now, before any document asks for its kernel
    if (PageConfig.getOption(ROLE_OPTION) !== 'guest') {
      return;
    }
    const trans = (translator ?? nullTranslator).load('capella_share');
    const client = new ShareClient(app.serviceManager.serverSettings);
    holdKernelsOff(
      app.serviceManager.kernels,
      new KernelsOff(client, share.ready)
    );
    const mayRun = share.ready.then(session => !!session?.you.may.run);
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        followHeldKernel(panel, trans, mayRun);
      }
    });
  }
};
