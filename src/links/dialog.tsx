import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ILink } from '../tokens';
import { IShareDefaults, ShareBody } from './body';
import { LinksModel } from './model';

/** What Tab may stop on inside the dialog. */
const TABBABLE =
  'input, select, textarea, button, a[href], [tabindex]:not([tabindex="-1"])';

/**
 * The Share dialog's keyboard: Tab goes round every control of the dialog
 * (the Lab's dialog knows only its footer buttons, found before the body is
 * drawn); Enter belongs to the control that has the focus (Enter in the label
 * copies the link; only Enter on Close closes); Escape inside the "Revoke all
 * links?" question withdraws the question, not the dialog.
 */
class ShareDialog extends Dialog<void> {
  protected _evtKeydown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const body = this.node.querySelector('.jp-Dialog-body');
    if (event.key === 'Tab') {
      this._cycle(event);
      return;
    }
    if (event.key === 'Enter' && body?.contains(target)) {
      return;
    }
    if (event.key === 'Escape' && target.closest('.jp-CapellaShare-confirm')) {
      return;
    }
    super._evtKeydown(event);
  }

  /** From the last control to the first, and (Shift) from the first to the last. */
  private _cycle(event: KeyboardEvent): void {
    const content = this.node.querySelector('.jp-Dialog-content');
    const found = content?.querySelectorAll<HTMLElement>(TABBABLE);
    const stops = Array.from(found ?? []).filter(
      element =>
        !element.matches(':disabled') &&
        element.tabIndex >= 0 &&
        element.getClientRects().length > 0
    );
    if (stops.length === 0) {
      return;
    }
    const first = stops[0];
    const last = stops[stops.length - 1];
    const wrapTo = event.shiftKey
      ? document.activeElement === first ||
        !content?.contains(document.activeElement)
        ? last
        : null
      : document.activeElement === last
        ? first
        : null;
    if (wrapTo) {
      event.preventDefault();
      event.stopPropagation();
      wrapTo.focus();
    }
  }
}

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
  const dialog = new ShareDialog({
    title: trans.__('Share this session'),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })],
    // the most common step first: copy the URL
    focusNodeSelector: '.jp-CapellaShare-copy'
  });
  // sized to the window, not to the Lab's 500 px default (see the stylesheet)
  dialog.addClass('jp-CapellaShare-shareDialog');
  // the model (and its polling) ends with the dialog
  dialog.disposed.connect(() => model.dispose());
  await dialog.launch().finally(() => dialog.dispose());
}
