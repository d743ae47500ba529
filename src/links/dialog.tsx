import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ILink } from '../tokens';
import { IShareDefaults, ShareBody } from './body';
import { LinksModel } from './model';

/**
 * Open the Share dialog.
 */
export async function openShareDialog(
  options: LinksModel.IOptions & {
    defaults: IShareDefaults;
    trans: TranslationBundle;
    /** open what a link's guests did (the dialog closes first) */
    openActivity?: (link: ILink) => void;
  }
): Promise<void> {
  const { defaults, trans, openActivity } = options;
  const model = new LinksModel(options);
  const onActivity =
    openActivity &&
    ((link: ILink) => {
      dialog.reject();
      openActivity(link);
    });
  const body = ReactWidget.create(
    <ShareBody
      model={model}
      defaults={defaults}
      trans={trans}
      onActivity={onActivity}
    />
  );
  body.addClass('jp-CapellaShare-body');
  const dialog = new Dialog({
    title: trans.__('Share this session'),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })]
  });
  // sized to the window, not to the Lab's 500 px default (see the stylesheet)
  dialog.addClass('jp-CapellaShare-shareDialog');
  // the model (and its polling) ends with the dialog
  dialog.disposed.connect(() => model.dispose());
  await dialog.launch().finally(() => dialog.dispose());
}
