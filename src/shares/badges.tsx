import { TranslationBundle } from '@jupyterlab/translation';
import { lockIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IProjectShare } from '../tokens';

/**
 * A share's badges: RW or RO, "disk" when the mount is read-only too, and
 * "Restart needed" (with the platform's note) when a change waits for one.
 */
export function PermissionBadges(props: {
  share: IProjectShare;
  /** the restart note, or null when no restart is needed */
  note: string | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { share, trans } = props;
  const readOnly = share.permission === 'read-only';
  return (
    <span className="jp-CapellaShares-badges">
      <span
        className={`jp-CapellaShare-badge jp-CapellaShares-badge jp-mod-${share.permission}`}
        title={
          readOnly
            ? trans.__('Read-only: nobody can change its files in this session')
            : trans.__('Read-write')
        }
      >
        {readOnly ? trans.__('RO') : trans.__('RW')}
      </span>
      {share.filesystem_read_only && (
        <span
          className="jp-CapellaShare-badge jp-CapellaShares-badge jp-mod-filesystem"
          title={trans.__(
            'Read-only on disk too (a read-only mount): kernels and terminals cannot change it either'
          )}
        >
          <lockIcon.react tag="span" height="12px" />
          {trans.__('disk')}
        </span>
      )}
      {props.note !== null && (
        <span
          className="jp-CapellaShare-badge jp-CapellaShares-badge jp-mod-restart"
          title={props.note}
        >
          {trans.__('Restart needed')}
        </span>
      )}
    </span>
  );
}
