import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

let shown = false;

/**
 * Tell a guest, once, that their access has ended; offer to reload.
 */
export async function showAccessEnded(
  reason: string,
  trans: TranslationBundle
): Promise<void> {
  if (shown) {
    return;
  }
  shown = true;
  document.body.dataset.capellaShareAccess = 'ended';
  const result = await showDialog({
    title: trans.__('Your access to this session has ended'),
    body:
      reason ||
      trans.__('The link you came in with is no longer valid.') +
        ' ' +
        trans.__('Ask the session owner for a new link.'),
    buttons: [Dialog.okButton({ label: trans.__('Reload') })],
    hasClose: false
  });
  if (result.button.accept) {
    window.location.reload();
  }
}
