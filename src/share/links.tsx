import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatRemaining, permissionLabel } from '../format';
import { ILink } from '../tokens';

interface IActiveLinksProps {
  links: ILink[];
  now: number;
  trans: TranslationBundle;
  onRevoke: (link: ILink) => void;
  onRevokeAll: () => void;
}

/**
 * The active links: who is connected through each, a countdown, Revoke; then
 * Revoke all. The list scrolls on its own, so that the URL above and Revoke
 * all below stay in view however many links there are.
 */
export function ActiveLinks(props: IActiveLinksProps): JSX.Element {
  const { links, now, trans } = props;
  const heading = trans.__('Active links (%1)', links.length);
  return (
    <section
      className="jp-CapellaShare-linksSection"
      aria-label={trans.__('Active links')}
    >
      <h3 className="jp-CapellaShare-heading">{heading}</h3>
      {links.length === 0 ? (
        <p className="jp-CapellaShare-note">{trans.__('No active links.')}</p>
      ) : (
        <div
          className="jp-CapellaShare-linkList"
          role="region"
          aria-label={heading}
          tabIndex={0}
        >
          <table className="jp-CapellaShare-links">
            <thead>
              <tr>
                <th>{trans.__('Link')}</th>
                <th>{trans.__('Permission')}</th>
                <th>{trans.__('Expires')}</th>
                <th>{trans.__('Connected')}</th>
                <th>
                  <span className="jp-CapellaShare-hidden">
                    {trans.__('Revoke')}
                  </span>
                </th>
              </tr>
            </thead>
            <tbody>
              {links.map(link => (
                <tr key={link.id} data-link-id={link.id}>
                  <td>{link.label || link.id}</td>
                  <td>
                    <span
                      className={`jp-CapellaShare-badge jp-mod-${link.permission}`}
                    >
                      {permissionLabel(link.permission, trans)}
                    </span>
                  </td>
                  <td>{formatRemaining(link.expires_at, now, trans)}</td>
                  <td>
                    {link.connections.length === 0
                      ? trans.__('nobody')
                      : link.connections.map(c => c.display_name).join(', ')}
                  </td>
                  <td>
                    <button
                      className="jp-mod-styled jp-mod-warn jp-Button"
                      aria-label={trans.__('Revoke %1', link.label || link.id)}
                      onClick={() => props.onRevoke(link)}
                    >
                      {trans.__('Revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {links.length > 0 && (
        <div className="jp-CapellaShare-revokeAll">
          <button
            className="jp-mod-styled jp-mod-warn jp-Button"
            onClick={props.onRevokeAll}
          >
            {trans.__('Revoke all')}
          </button>
        </div>
      )}
    </section>
  );
}
