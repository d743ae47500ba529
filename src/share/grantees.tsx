import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { permissionLabel } from '../format';
import { requestAPI } from '../request';
import { IGrant, IHubDirectory, Permission } from '../tokens';

/** How often the grantees are asked again (a share may change at the hub). */
const REFRESH_MS = 3000;

interface IHubGranteesProps {
  trans: TranslationBundle;
  /** The level a new grant gets unless another is chosen. */
  defaultPermission: Permission;
  /** Report an error in the dialog's own words. */
  onError: (message: string) => void;
}

/**
 * Under JupyterHub: share this server with hub users and groups at a level,
 * list who it is shared with and revoke. Everything goes through the server,
 * which asks the hub and makes a revoke take effect at once.
 */
export function HubGrantees(props: IHubGranteesProps): JSX.Element {
  const { trans, onError } = props;
  const [grants, setGrants] = React.useState<IGrant[]>([]);
  const [problem, setProblem] = React.useState<string | null>(null);
  const [kind, setKind] = React.useState<'user' | 'group'>('user');
  const [name, setName] = React.useState('');
  const [permission, setPermission] = React.useState<Permission>(
    props.defaultPermission
  );
  const [found, setFound] = React.useState<IHubDirectory>({
    users: [],
    groups: []
  });
  const [busy, setBusy] = React.useState(false);

  const refresh = React.useCallback(async () => {
    try {
      const reply = await requestAPI<{
        grants: IGrant[];
        problem: string | null;
      }>('grants');
      setGrants(reply.grants);
      setProblem(reply.problem);
    } catch (error) {
      onError((error as Error).message);
    }
  }, [onError]);

  React.useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [refresh]);

  React.useEffect(() => {
    if (name.length < 1) {
      return;
    }
    const query = encodeURIComponent(name);
    requestAPI<IHubDirectory>(`hub/directory?q=${query}`)
      .then(setFound)
      .catch(() => setFound({ users: [], groups: [] }));
  }, [name]);

  const share = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await requestAPI<IGrant>('grants', {
        method: 'POST',
        body: JSON.stringify({ [kind]: name.trim(), permission })
      });
      setName('');
      await refresh();
    } catch (error) {
      onError((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (grant: IGrant) => {
    try {
      await requestAPI<void>(`grants/${grant.id}`, { method: 'DELETE' });
      await refresh();
    } catch (error) {
      onError((error as Error).message);
    }
  };

  const suggestions = kind === 'user' ? found.users : found.groups;
  const heading = trans.__('Hub users and groups (%1)', grants.length);
  return (
    <section
      className="jp-CapellaShare-granteesSection"
      aria-label={trans.__('Hub users and groups')}
    >
      <h3 className="jp-CapellaShare-heading">{heading}</h3>
      {problem && (
        <p className="jp-CapellaShare-unavailable" role="note">
          {problem}
        </p>
      )}
      <form className="jp-CapellaShare-grantForm" onSubmit={share}>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Share with')}
          value={kind}
          onChange={event => setKind(event.target.value as 'user' | 'group')}
        >
          <option value="user">{trans.__('User')}</option>
          <option value="group">{trans.__('Group')}</option>
        </select>
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Hub name')}
          placeholder={trans.__('Name on the hub')}
          list="jp-CapellaShare-hubNames"
          value={name}
          onChange={event => setName(event.target.value)}
        />
        <datalist id="jp-CapellaShare-hubNames">
          {suggestions.map(suggestion => (
            <option key={suggestion} value={suggestion} />
          ))}
        </datalist>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Level')}
          value={permission}
          onChange={event => setPermission(event.target.value as Permission)}
        >
          {(['view', 'edit', 'full'] as Permission[]).map(level => (
            <option key={level} value={level}>
              {permissionLabel(level, trans)}
            </option>
          ))}
        </select>
        <button
          type="submit"
          className="jp-mod-styled jp-mod-accept jp-Button"
          disabled={busy || name.trim().length === 0}
        >
          {trans.__('Share')}
        </button>
      </form>
      {grants.length === 0 ? (
        <p className="jp-CapellaShare-note">
          {trans.__('Not shared with anyone on the hub.')}
        </p>
      ) : (
        <ul className="jp-CapellaShare-grantees" aria-label={heading}>
          {grants.map(grant => (
            <li key={grant.id} data-grant-id={grant.id}>
              <span className="jp-CapellaShare-granteeName">
                {grant.kind === 'group'
                  ? trans.__('Group %1', grant.name)
                  : grant.name}
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
                onClick={() => void revoke(grant)}
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
