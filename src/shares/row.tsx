import { TranslationBundle } from '@jupyterlab/translation';
import {
  deleteIcon,
  downloadIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { IProjectShare, SharePermission } from '../tokens';
import { PermissionBadges } from './badges';
import { restartNote } from './model';
import { formatCounts } from './names';

interface IShareRowProps {
  share: IProjectShare;
  trans: TranslationBundle;
  /** may delete this share (a registry's: only its project's managers) */
  mayDelete: boolean;
  /** may switch its permission (not where a registry's roles decide it) */
  mayChangePermission: boolean;
  busy: boolean;
  onOpen: () => void;
  onPermission: (permission: SharePermission) => void;
  onDownload: () => void;
  onDelete: () => void;
}

/**
 * One share: open its folder, its badges, download, delete; its counts and
 * the other permission.
 */
export function ShareRow(props: IShareRowProps): JSX.Element {
  const { share, trans } = props;
  const other: SharePermission =
    share.permission === 'read-only' ? 'read-write' : 'read-only';
  const note = restartNote(share, trans);
  const noteId = `jp-CapellaShares-note-${React.useId()}`;
  return (
    <li
      className="jp-CapellaShares-share"
      data-share={`${share.project}/${share.model}`}
      aria-describedby={note === null ? undefined : noteId}
    >
      <div className="jp-CapellaShares-line">
        <button
          type="button"
          className="jp-CapellaShares-open"
          title={trans.__('Open %1 in the file browser', share.path)}
          onClick={props.onOpen}
          disabled={!share.exists}
        >
          {share.model_name}
        </button>
        <PermissionBadges share={share} note={note} trans={trans} />
        <ToolbarButtonComponent
          icon={downloadIcon}
          tooltip={trans.__('Download %1 as zip', share.path)}
          onClick={props.onDownload}
          enabled={share.exists}
        />
        {props.mayDelete && (
          <ToolbarButtonComponent
            icon={deleteIcon}
            tooltip={trans.__('Delete %1…', share.path)}
            onClick={props.onDelete}
            enabled={!props.busy}
          />
        )}
      </div>
      <div className="jp-CapellaShares-line">
        <span className="jp-CapellaShares-counts">
          {share.exists
            ? formatCounts(share.files, share.bytes, trans)
            : trans.__('folder missing')}
        </span>
        {props.mayChangePermission && (
          <button
            type="button"
            className="jp-CapellaShares-permission"
            disabled={props.busy}
            onClick={() => props.onPermission(other)}
            title={
              other === 'read-only'
                ? trans.__('Make %1 read-only', share.path)
                : trans.__('Make %1 read-write', share.path)
            }
          >
            {other === 'read-only'
              ? trans.__('Make read-only')
              : trans.__('Make read-write')}
          </button>
        )}
      </div>
      {note !== null && (
        <span id={noteId} className="jp-CapellaShare-hidden">
          {trans.__('Restart needed: %1', note)}
        </span>
      )}
    </li>
  );
}
