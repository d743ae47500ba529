import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { connectedNames, formatRemaining, permissionLabel } from '../format';
import { ILink } from '../tokens';

/**
 * One active link: its name, permission, countdown, who is connected, Revoke.
 */
export function LinkRow(props: {
  link: ILink;
  now: number;
  trans: TranslationBundle;
  onRevoke: () => void;
  /** open what the link's guests did (absent: not offered) */
  onActivity?: () => void;
}): JSX.Element {
  const { link, trans } = props;
  const name = link.label || link.id;
  return (
    <tr data-link-id={link.id}>
      <td>
        {name}
        {link.scope && (
          <span className="jp-CapellaShare-scope" title={link.scope}>
            {trans.__('only %1', link.scope)}
          </span>
        )}
      </td>
      <td>
        <span className={`jp-CapellaShare-badge jp-mod-${link.permission}`}>
          {permissionLabel(link.permission, trans)}
        </span>
      </td>
      <td>{formatRemaining(link.expires_at, props.now, trans)}</td>
      <td>{connectedNames(link.connections, trans)}</td>
      <td className="jp-CapellaShare-rowActions">
        {props.onActivity && (
          <button
            className="jp-mod-styled jp-Button"
            aria-label={trans.__('Activity of %1', name)}
            onClick={props.onActivity}
          >
            {trans.__('Activity')}
          </button>
        )}
        <button
          className="jp-mod-styled jp-mod-warn jp-Button"
          aria-label={trans.__('Revoke %1', name)}
          onClick={props.onRevoke}
        >
          {trans.__('Revoke')}
        </button>
      </td>
    </tr>
  );
}
