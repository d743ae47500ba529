import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

let shown = false;

/** Why access ended: the owner revoked the link, it expired, or what it shared was deleted. */
export type AccessEnd = 'revoked' | 'expired' | 'removed';

/**
 * Tell a guest, once, that their access has ended; offer to reload.
 */
export async function showAccessEnded(
  cause: AccessEnd | 'unknown',
  trans: TranslationBundle
): Promise<void> {
  if (shown) {
    return;
  }
  shown = true;
  document.body.dataset.capellaShareAccess = 'ended';
  // Whatever was being asked no longer matters: say this first.
  Dialog.flush();
  const result = await showDialog({
    title: trans.__('Your access to this session has ended'),
    body:
      (cause === 'revoked'
        ? trans.__('The owner revoked the link you came in with.')
        : cause === 'expired'
          ? trans.__('The link you came in with has expired.')
          : cause === 'removed'
            ? trans.__(
                'What the link you came in with shared has been deleted.'
              )
            : trans.__('The link you came in with is no longer valid.')) +
      ' ' +
      trans.__('Ask the session owner for a new link to continue.'),
    buttons: [Dialog.okButton({ label: trans.__('Reload') })],
    hasClose: false
  });
  if (result.button.accept) {
    window.location.reload();
  }
}
