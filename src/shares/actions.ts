import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { errorMessage } from '../request';
import { IProjectShare, SharePermission } from '../tokens';
import { deleteShareDialog, newShareDialog } from './dialogs';
import { SharesModel } from './model';

/**
 * Download a share's zip: the browser streams it to disk, authenticated by its
 * login cookie like JupyterLab's own downloads.
 */
export function downloadArchive(
  model: SharesModel,
  share: IProjectShare
): void {
  const link = document.createElement('a');
  link.href = model.archiveURL(share);
  link.download = `${share.project}-${share.model}.zip`;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

/** Tell how a change went: its outcome, or what went wrong. */
async function tell<T>(
  change: Promise<T>,
  outcome: (result: T) => void
): Promise<void> {
  try {
    outcome(await change);
  } catch (error) {
    Notification.error(errorMessage(error), { autoClose: 8000 });
  }
}

/**
 * "New share": ask for the names and permission, then make it.
 */
export async function createShare(
  model: SharesModel,
  trans: TranslationBundle
): Promise<void> {
  const request = await newShareDialog(model.list?.shares_root ?? '', trans);
  if (!request) {
    return;
  }
  const { project, model: name, permission } = request;
  await tell(model.create(project, name, permission), share =>
    Notification.success(
      trans.__('Created the %1 share %2', share.permission, share.path),
      { autoClose: 4000 }
    )
  );
}

/**
 * Make a share read-only or read-write.
 */
export async function setPermission(
  model: SharesModel,
  share: IProjectShare,
  permission: SharePermission,
  trans: TranslationBundle
): Promise<void> {
  await tell(model.setPermission(share, permission), changed =>
    Notification.info(
      trans.__('%1 is now %2', changed.path, changed.permission),
      { autoClose: 4000 }
    )
  );
}

/**
 * Delete a share for good, once its name is typed (the zip offered first).
 */
export async function removeShare(
  model: SharesModel,
  share: IProjectShare,
  trans: TranslationBundle
): Promise<void> {
  const confirm = await deleteShareDialog(share, trans, () =>
    downloadArchive(model, share)
  );
  if (!confirm) {
    return;
  }
  await tell(model.remove(share, confirm), result =>
    Notification.success(
      trans._n(
        'Deleted %2: %1 file removed',
        'Deleted %2: %1 files removed',
        result.deleted_files,
        share.path
      ),
      { autoClose: 5000 }
    )
  );
}
