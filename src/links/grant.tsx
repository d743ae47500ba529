import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { permissionLabel } from '../format';
import { Permission } from '../tokens';
import { LinksModel, suggestionsFor } from './model';

const LEVELS: Permission[] = ['view', 'edit', 'full'];

interface IGrantFormProps {
  model: LinksModel;
  /** the level a new grant gets unless another is chosen */
  defaultPermission: Permission;
  trans: TranslationBundle;
}

/**
 * Share this server with a hub user or group at a level; the names the hub
 * knows are suggested as they are typed.
 */
export function GrantForm(props: IGrantFormProps): JSX.Element {
  const { model, trans } = props;
  const [kind, setKind] = React.useState<'user' | 'group'>('user');
  const [name, setName] = React.useState('');
  const [permission, setPermission] = React.useState<Permission>(
    props.defaultPermission
  );
  const [busy, setBusy] = React.useState(false);

  React.useEffect(() => void model.lookUp(name), [model, name]);

  const share = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    if (await model.grant(kind, name, permission)) {
      setName('');
    }
    setBusy(false);
  };

  return (
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
        {suggestionsFor(kind, model.directory).map(suggestion => (
          <option key={suggestion} value={suggestion} />
        ))}
      </datalist>
      <select
        className="jp-mod-styled"
        aria-label={trans.__('Level')}
        value={permission}
        onChange={event => setPermission(event.target.value as Permission)}
      >
        {LEVELS.map(level => (
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
  );
}
