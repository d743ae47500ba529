import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IToolbarWidgetRegistry, Notification } from '@jupyterlab/apputils';
import { IDocumentWidgetOpener } from '@jupyterlab/docmanager';
import { DocumentWidget } from '@jupyterlab/docregistry';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ShareClient } from '../client';
import { permissionLabel } from '../format';
import { socketURL } from '../request';
import { CommandIDs, ICapellaShare, ISession, PLUGIN_IDS } from '../tokens';
// Every document opened from the start is followed: needed at activation.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { WritableDocuments } from './documents';
import { AccessEnd, showAccessEnded } from './ended';
import { bindReadOnlyKeys, makeReadOnly, preventKernelStart } from './readonly';

/** Close codes the server uses when access ends. */
const ENDED_CODES: Record<number, AccessEnd> = {
  4001: 'revoked',
  4002: 'expired',
  4003: 'removed'
};
const RETRY_MS = 3000;

/**
 * Keep a line open to the server; it is closed the moment the link ends.
 */
function watchAccess(
  client: ShareClient,
  onEnded: (cause: AccessEnd | 'unknown') => void
): void {
  const connect = () => {
    const socket = new WebSocket(socketURL('session/ws', client.settings));
    socket.onclose = async event => {
      const cause = ENDED_CODES[event.code];
      if (cause) {
        onEnded(cause);
        return;
      }
      // The server restarted or the network dropped: is the link still good?
      try {
        await client.session();
        window.setTimeout(connect, RETRY_MS);
      } catch (error) {
        if (
          error instanceof ServerConnection.ResponseError &&
          error.response.status === 403
        ) {
          onEnded('unknown');
        } else {
          window.setTimeout(connect, RETRY_MS);
        }
      }
    };
  };
  connect();
}

function badge(session: ISession, label: string, scope: string): Widget {
  const node = document.createElement('div');
  node.className = `jp-CapellaShare-guestBadge jp-mod-${session.you.permission}`;
  node.setAttribute('role', 'status');
  node.title = session.you.display_name;
  const name = document.createElement('span');
  name.className = 'jp-CapellaShare-guestName';
  name.textContent = session.you.display_name;
  const level = document.createElement('span');
  level.className = 'jp-CapellaShare-badge';
  level.textContent = label;
  node.append(name, level);
  if (scope) {
    // what this link shares, when it is not the whole session
    const shared = document.createElement('span');
    shared.className = 'jp-CapellaShare-guestScope';
    shared.textContent = scope;
    node.append(shared);
  }
  return new Widget({ node });
}

export const guestPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_IDS.guest,
  description:
    'Shows guests who they are and what they may do; ends their session cleanly when their link ends.',
  autoStart: true,
  requires: [ICapellaShare],
  optional: [IToolbarWidgetRegistry, IDocumentWidgetOpener, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    capella: ICapellaShare,
    toolbarRegistry: IToolbarWidgetRegistry | null,
    opener: IDocumentWidgetOpener | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('capella_share');

    toolbarRegistry?.addFactory('TopBar', 'capella-share-guest', () => {
      const holder = new Widget();
      holder.addClass('jp-CapellaShare-guestHolder');
      holder.hide();
      void capella.ready.then(session => {
        if (session?.you.role === 'guest') {
          const label = permissionLabel(session.you.permission, trans);
          const scope = session.you.scope
            ? trans.__('only %1', session.you.scope)
            : '';
          holder.node.appendChild(badge(session, label, scope).node);
          holder.show();
        }
      });
      return holder;
    });

    let notice = '';
    app.commands.addCommand(CommandIDs.readOnlyNotice, {
      label: trans.__('This document is read-only for you'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        Notification.dismiss(notice);
        notice = Notification.info(
          trans.__(
            'This document is read-only for you: it cannot be changed or run.'
          ),
          { autoClose: 3000 }
        );
      }
    });
    bindReadOnlyKeys(app.commands, CommandIDs.readOnlyNotice);

    // A view guest's documents are read-only and start no kernel. Every other
    // document is read-only exactly while the server reports it not writable.
    let known: boolean | null = null;
    const viewOnly = capella.ready.then(session => {
      known = session !== null && !session.you.may.write;
      return known;
    });
    const documents = new WritableDocuments(app.serviceManager.contents, trans);
    const lock = (widget: DocumentWidget) => {
      preventKernelStart(widget);
      void widget.context.ready.then(() => makeReadOnly(widget));
    };
    const follow = (widget: DocumentWidget, readOnly: boolean) =>
      readOnly ? lock(widget) : documents.follow(widget);
    opener?.opened.connect((_, widget) => {
      if (!(widget instanceof DocumentWidget)) {
        return;
      }
      if (known !== null) {
        follow(widget, known);
        return;
      }
      // Still asking the server: the context loads the file before it asks for
      // a kernel, so deciding when the answer comes is in time.
      void viewOnly.then(readOnly => follow(widget, readOnly));
    });

    void capella.ready.then(session => {
      if (session?.you.role !== 'guest') {
        return;
      }
      document.body.dataset.capellaShareRole = 'guest';
      document.body.dataset.capellaSharePermission = session.you.permission;
      const client = new ShareClient(app.serviceManager.serverSettings);
      watchAccess(client, cause => {
        documents.lockAll();
        void showAccessEnded(cause, trans);
      });
    });
  }
};
