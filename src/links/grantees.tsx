import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { permissionLabel } from '../format';
import { Permission } from '../tokens';
import { GrantForm } from './grant';
import { granteeName, LinksModel } from './model';

interface IHubGranteesProps {
  model: LinksModel;
  /** the level a new grant gets unless another is chosen */
  defaultPermission: Permission;
  trans: TranslationBundle;
}

/**
 * Under JupyterHub: share this server with hub users and groups at a level,
 * list who it is shared with and revoke. Everything goes through the server,
 * which asks the hub and makes a revoke take effect at once.
 */
export function HubGrantees(props: IHubGranteesProps): JSX.Element {
  const { model, trans } = props;
  const grants = model.grants;
  const heading = trans.__('Hub users and groups (%1)', grants.length);
  return (
    <section
      className="jp-CapellaShare-granteesSection"
      aria-label={trans.__('Hub users and groups')}
    >
      <h3 className="jp-CapellaShare-heading">{heading}</h3>
      {model.grantsProblem && (
        <p className="jp-CapellaShare-unavailable" role="note">
          {model.grantsProblem}
        </p>
      )}
      <GrantForm
        model={model}
        defaultPermission={props.defaultPermission}
        trans={trans}
      />
      {grants.length === 0 ? (
        <p className="jp-CapellaShare-note">
          {trans.__('Not shared with anyone on the hub.')}
        </p>
      ) : (
        <ul className="jp-CapellaShare-grantees" aria-label={heading}>
          {grants.map(grant => (
            <li key={grant.id} data-grant-id={grant.id}>
              <span className="jp-CapellaShare-granteeName">
                {granteeName(grant, trans)}
              </span>
              <span
                className={`jp-CapellaShare-badge jp-mod-${grant.permission}`}
              >
                {permissionLabel(grant.permission, trans)}
              </span>
              <span className="jp-CapellaShare-note">
                {grant.connections.length > 0
                  ? trans.__('connected')
                  : trans.__('not connected')}
              </span>
              <button
                type="button"
                className="jp-mod-styled jp-mod-warn jp-Button"
                aria-label={trans.__('Revoke %1', grant.name)}
                onClick={() => void model.ungrant(grant)}
              >
                {trans.__('Revoke')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
