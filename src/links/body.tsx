import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { warningFor } from '../format';
import { ILink } from '../tokens';
import { ActiveLinks } from './active';
import { NewLinkChoices } from './choices';
import { HubGrantees } from './grantees';
import { ILinkChoice, LinksModel } from './model';
import { UrlField } from './url';

/**
 * What the dialog starts from.
 */
export interface IShareDefaults {
  permission: ILinkChoice['permission'];
  expiresIn: ILinkChoice['expiresIn'];
}

interface IShareBodyProps {
  model: LinksModel;
  defaults: IShareDefaults;
  trans: TranslationBundle;
  /** open what a link's guests did */
  onActivity?: (link: ILink) => void;
}

/**
 * The body of the Share dialog: the URL, "Include the token in the URL", the
 * new link's choices, the warning, the active links and, under JupyterHub,
 * the hub users and groups.
 */
export function ShareBody(props: IShareBodyProps): JSX.Element {
  const { model, trans } = props;
  const [includeToken, setIncludeToken] = React.useState(false);
  const [choice, setChoice] = React.useState<ILinkChoice>({
    ...props.defaults,
    label: ''
  });

  const toggle = (checked: boolean) => {
    setIncludeToken(checked);
    void (checked ? model.issue(choice) : model.withdrawIssued());
  };
  const choose = (next: ILinkChoice) => {
    setChoice(next);
    void model.issue(next);
  };
  const labelDone = () => {
    if (includeToken && choice.label.trim() !== (model.issued?.label ?? '')) {
      void model.issue(choice);
    }
  };

  const permission = includeToken ? choice.permission : null;
  return (
    <UseSignal signal={model.changed} initialSender={model}>
      {() => (
        <div className="jp-CapellaShare-dialog">
          <UrlField
            url={(includeToken && model.issued?.url) || model.sessionUrl}
            copyable={!includeToken || model.issued !== null}
            linksUnavailable={model.linksUnavailable}
            includeToken={includeToken}
            onIncludeToken={toggle}
            trans={trans}
          />
          {includeToken && (
            <NewLinkChoices
              choice={choice}
              onChoose={choose}
              onLabel={label => setChoice({ ...choice, label })}
              onLabelDone={labelDone}
              busy={model.busy}
              carried={model.issued !== null}
              levelsOff={model.levelsOff}
              trans={trans}
            />
          )}
          <p
            className="jp-CapellaShare-warning"
            role="alert"
            data-permission={permission ?? 'none'}
          >
            <strong>{trans.__('Warning: ')}</strong>
            {warningFor(permission, trans, model.code)}
          </p>
          {model.error && (
            <p className="jp-CapellaShare-error" role="status">
              {model.error}
            </p>
          )}
          <ActiveLinks
            model={model}
            trans={trans}
            onActivity={props.onActivity}
          />
          {model.hub && (
            <HubGrantees
              model={model}
              defaultPermission={props.defaults.permission}
              trans={trans}
            />
          )}
        </div>
      )}
    </UseSignal>
  );
}
