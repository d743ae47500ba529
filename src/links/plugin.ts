import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { shareIcon, ToolbarButton } from '@jupyterlab/ui-components';

import { CommandIDs, ICapellaShare, Permission, PLUGIN_IDS } from '../tokens';
import { ShareClient } from '../client';
import type { IShareDefaults } from './body';

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
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    capella: ICapellaShare,
    toolbarRegistry: IToolbarWidgetRegistry | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('capella_share');
    const client = new ShareClient(app.serviceManager.serverSettings);
    const defaults: IShareDefaults = {
      permission: 'view',
      expiresIn: 8 * 3600
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
      describedBy: { args: { type: 'object', properties: {} } },
      execute: async () => {
        const { openShareDialog } = await import('./dialog');
        const info = await capella.info;
        await openShareDialog({
          client,
          sessionUrl,
          info,
          defaults: { ...defaults },
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
      button.hide();
      void capella.ready.then(session => {
        if (session?.you.may.manage) {
          button.show();
        }
      });
      return button;
    });
  }
};
