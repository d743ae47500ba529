import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { shareIcon, ToolbarButton } from '@jupyterlab/ui-components';

import {
  CommandIDs,
  ICapellaShare,
  IScope,
  Permission,
  PLUGIN_IDS
} from '../tokens';
import { ShareClient } from '../client';
import type { IShareDefaults } from './body';

/**
 * Make the control inside `node` the top bar's Tab stop. The top bar is an
 * ARIA toolbar with a single Tab stop: the control that was active when it was
 * drawn, the user menu here (Share is shown only once the server has said who
 * this is), and that menu keeps the arrow keys to itself, so the keyboard
 * never reached Share. A toolbar makes the control a pointer goes down on its
 * active one: that is the way in it offers (no click follows, nothing is
 * focused).
 */
function makeTabStop(node: HTMLElement): void {
  let frames = 0;
  const attempt = () => {
    // once the button is drawn in the top bar
    const control = node.isConnected && node.querySelector('[tabindex]');
    if (control) {
      control.dispatchEvent(
        new MouseEvent('mousedown', { bubbles: true, composed: true })
      );
    } else if (++frames < 600) {
      requestAnimationFrame(attempt);
    }
  };
  requestAnimationFrame(attempt);
}

export const sharePlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_IDS.share,
  description:
    'The Share button in the top bar and the dialog that makes and revokes share links.',
  autoStart: true,
  requires: [ICapellaShare],
  optional: [
    IToolbarWidgetRegistry,
    ISettingRegistry,
    ICommandPalette,
    ITranslator,
    IDocumentManager,
    IDefaultFileBrowser
  ],
  activate: (
    app: JupyterFrontEnd,
    capella: ICapellaShare,
    toolbarRegistry: IToolbarWidgetRegistry | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    documents: IDocumentManager | null,
    browser: IDefaultFileBrowser | null
  ) => {
    const trans = (translator ?? nullTranslator).load('capella_share');
    const client = new ShareClient(app.serviceManager.serverSettings);
    const defaults: Omit<IShareDefaults, 'scopes' | 'scope'> = {
      permission: 'view',
      expiresIn: 8 * 3600
    };
    /** The document in front, if it is one (its path). */
    const currentDocument = (): string | undefined => {
      const widget = app.shell.currentWidget;
      return (widget && documents?.contextForWidget(widget)?.path) || undefined;
    };
    let isOwner = false;
    let sessionUrl = '';

    void capella.ready.then(session => {
      isOwner = session?.you.may.manage ?? false;
      sessionUrl = session?.url ?? '';
      app.commands.notifyCommandChanged(CommandIDs.openShareDialog);
    });

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_IDS.share).then(settings => {
        const update = () => {
          defaults.permission = settings.get('defaultPermission')
            .composite as Permission;
          defaults.expiresIn = settings.get('defaultExpiry').composite as
            number | null;
        };
        update();
        settings.changed.connect(update);
      });
    }

    app.commands.addCommand(CommandIDs.openShareDialog, {
      label: trans.__('Share…'),
      caption: trans.__('Share this session through a link'),
      icon: shareIcon,
      isVisible: () => isOwner,
      isEnabled: () => isOwner,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            scope: {
              type: 'string',
              description: 'A file or folder to share instead of the session'
            },
            kind: { type: 'string', enum: ['file', 'folder'] }
          }
        }
      },
      execute: async args => {
        const { openShareDialog } = await import('./dialog');
        const { scopeChoices, sharedPlace } = await import('../format');
        const asked: IScope | undefined =
          typeof args.scope === 'string' && args.scope
            ? {
                kind: args.kind === 'folder' ? 'folder' : 'file',
                path: args.scope
              }
            : undefined;
        const { scopes, chosen } = scopeChoices({
          asked,
          document: currentDocument(),
          folder: browser?.model.path || undefined
        });
        const info = await capella.info;
        // In Notebook 7, links open the page shared from, not the Lab.
        const place = sharedPlace(
          window.location.pathname,
          new URL(
            app.serviceManager.serverSettings.baseUrl,
            window.location.href
          ).pathname
        );
        const url =
          place.page === 'lab'
            ? sessionUrl
            : await client.session(place).then(
                session => session.url,
                () => sessionUrl
              );
        await openShareDialog({
          client,
          sessionUrl: url,
          place,
          info,
          defaults: { ...defaults, scopes, scope: chosen },
          trans,
          openActivity: app.commands.hasCommand(CommandIDs.openActivity)
            ? link =>
                void app.commands.execute(CommandIDs.openActivity, {
                  link: link.id,
                  label: link.label
                })
            : undefined
        });
      }
    });
    app.commands.addCommand(CommandIDs.sharePath, {
      label: trans.__('Share…'),
      caption: trans.__('Share only this file or folder through a link'),
      icon: shareIcon,
      isVisible: () => isOwner && !!browser,
      isEnabled: () => isOwner && !!browser,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        const item = browser?.selectedItems().next();
        if (!item || item.done) {
          return;
        }
        return app.commands.execute(CommandIDs.openShareDialog, {
          scope: item.value.path,
          kind: item.value.type === 'directory' ? 'folder' : 'file'
        });
      }
    });
    palette?.addItem({
      command: CommandIDs.openShareDialog,
      category: trans.__('Sharing')
    });

    toolbarRegistry?.addFactory('TopBar', 'capella-share', () => {
      const button = new ToolbarButton({
        icon: shareIcon,
        label: trans.__('Share'),
        tooltip: trans.__('Share this session through a link'),
        onClick: () => void app.commands.execute(CommandIDs.openShareDialog)
      });
      button.addClass('jp-CapellaShare-button');
      // Hidden as a widget (the toolbar's item style would show a node that is
      // only `hidden`) and by the attribute, whose change the top bar follows.
      const show = (shown: boolean) => {
        button.setHidden(!shown);
        button.node.hidden = !shown;
      };
      show(false);
      void capella.ready.then(session => {
        const owner = !!session?.you.may.manage;
        show(owner);
        if (owner) {
          makeTabStop(button.node);
        }
      });
      return button;
    });
  }
};
