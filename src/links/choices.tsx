import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { expiryChoices, permissionLabel, scopeLabel } from '../format';
import { IScope, Permission } from '../tokens';
import { ILinkChoice } from './model';

const PERMISSIONS: Permission[] = ['view', 'edit', 'full'];

interface INewLinkChoicesProps {
  choice: ILinkChoice;
  /** a choice changed (nothing is made until the link is copied) */
  onChoose: (choice: ILinkChoice) => void;
  /** Enter in the label: make the link and copy it, as Copy does */
  onCopy: () => void;
  /** what Copy will do, or what became of the link copied last */
  status: string;
  /** the permissions no link may have here, with why */
  levelsOff: { readonly [permission: string]: string };
  /** what the link may share: the whole session, a folder, a file */
  scopes: IScope[];
  trans: TranslationBundle;
}

/**
 * The choices of the next link to copy: permission, expiry and label.
 */
export function NewLinkChoices(props: INewLinkChoicesProps): JSX.Element {
  const { choice, trans } = props;
  return (
    <fieldset className="jp-CapellaShare-choices">
      <legend>{trans.__('New link')}</legend>
      <label className="jp-CapellaShare-field">
        <span>{trans.__('Shares')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Shares')}
          value={choice.scope}
          onChange={event =>
            props.onChoose({ ...choice, scope: event.currentTarget.value })
          }
        >
          {props.scopes.map(scope => (
            <option key={`${scope.kind}:${scope.path}`} value={scope.path}>
              {scopeLabel(scope, trans)}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-CapellaShare-field">
        <span>{trans.__('Permission')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Permission')}
          value={choice.permission}
          onChange={event => {
            const permission = event.currentTarget.value as Permission;
            props.onChoose({ ...choice, permission });
          }}
        >
          {PERMISSIONS.map(p => (
            <option
              key={p}
              value={p}
              disabled={p in props.levelsOff}
              title={props.levelsOff[p]}
            >
              {p in props.levelsOff
                ? trans.__('%1 (off on this server)', permissionLabel(p, trans))
                : permissionLabel(p, trans)}
            </option>
          ))}
        </select>
      </label>
      {Object.keys(props.levelsOff).length > 0 && (
        <p className="jp-CapellaShare-note" role="note">
          {Object.values(props.levelsOff)[0]}
        </p>
      )}
      <label className="jp-CapellaShare-field">
        <span>{trans.__('Expires after')}</span>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Expires after')}
          value={choice.expiresIn === null ? 'never' : String(choice.expiresIn)}
          onChange={event => {
            const raw = event.currentTarget.value;
            const expiresIn = raw === 'never' ? null : Number(raw);
            props.onChoose({ ...choice, expiresIn });
          }}
        >
          {expiryChoices(trans).map(expiry => (
            <option
              key={expiry.label}
              value={expiry.seconds === null ? 'never' : expiry.seconds}
            >
              {expiry.label}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-CapellaShare-field">
        <span>{trans.__('Label (shown as the guests’ name)')}</span>
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Label')}
          maxLength={200}
          placeholder={trans.__('e.g. Review team')}
          value={choice.label}
          onChange={event =>
            props.onChoose({ ...choice, label: event.currentTarget.value })
          }
          onKeyDown={event => {
            if (event.key === 'Enter') {
              event.preventDefault();
              props.onCopy();
            }
          }}
        />
      </label>
      <p className="jp-CapellaShare-linkStatus" role="status">
        {props.status}
      </p>
    </fieldset>
  );
}
