import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { permissionLabel, warningFor } from '../format';
import { ICreatedLink, ILink, IScope } from '../tokens';
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
  /** what may be shared, the whole session first */
  scopes: IScope[];
  /** the scope chosen at first ('' : the whole session) */
  scope: string;
}

interface IShareBodyProps {
  model: LinksModel;
  defaults: IShareDefaults;
  trans: TranslationBundle;
  /** open what a link's guests did */
  onActivity?: (link: ILink) => void;
}

/**
 * What the status line under the choices says: what Copy will do, and what
 * became of the link copied last.
 */
function linkStatus(
  model: LinksModel,
  choice: ILinkChoice,
  trans: TranslationBundle
): string {
  if (model.busy) {
    return trans.__('Making the link…');
  }
  if (model.carries(choice)) {
    return trans.__(
      'Copied: the URL above carries this link, listed below. Copying again copies the same link.'
    );
  }
  if (model.issued !== null) {
    return trans.__(
      'The link you copied stays active (listed below) until it expires or you revoke it. Copy makes another link with these choices.'
    );
  }
  return trans.__(
    'Nothing is made until you copy: Copy makes a link with these choices and puts its URL on the clipboard.'
  );
}

function copied(link: ICreatedLink, trans: TranslationBundle): string {
  const level = permissionLabel(link.permission, trans);
  return link.label
    ? trans.__(
        'A link (%1) for "%2" is copied to the clipboard.',
        level,
        link.label
      )
    : trans.__('A link (%1) is copied to the clipboard.', level);
}

/**
 * The body of the Share dialog: the URL, "Include the token in the URL", the
 * new link's choices, the warning, the active links and, under JupyterHub,
 * the hub users and groups.
 *
 * A link is made when it is copied, and only then: closing the dialog or
 * changing a choice leaves nothing behind, and a link once copied (perhaps
 * sent to someone already) stays until it expires or is revoked.
 */
export function ShareBody(props: IShareBodyProps): JSX.Element {
  const { model, trans } = props;
  const [choice, setChoice] = React.useState<ILinkChoice>({
    permission: props.defaults.permission,
    expiresIn: props.defaults.expiresIn,
    scope: props.defaults.scope,
    label: ''
  });
  // a scope chosen (from a file's context menu) shows the link's choices at once
  const [includeToken, setIncludeToken] = React.useState(
    !!props.defaults.scope
  );

  const copy = async () => {
    if (!includeToken) {
      Clipboard.copyToSystem(model.sessionUrl);
      Notification.success(trans.__('The URL is copied to the clipboard.'), {
        autoClose: 3000
      });
      return;
    }
    if (model.busy) {
      return;
    }
    const link = await model.linkFor(choice);
    if (link) {
      Clipboard.copyToSystem(link.url);
      Notification.success(copied(link, trans), { autoClose: 3000 });
    }
  };

  const permission = includeToken ? choice.permission : null;
  return (
    <UseSignal signal={model.changed} initialSender={model}>
      {() => (
        <div className="jp-CapellaShare-dialog">
          <UrlField
            url={
              includeToken
                ? model.carries(choice)
                  ? (model.issued?.url ?? '')
                  : ''
                : model.sessionUrl
            }
            busy={model.busy}
            linksUnavailable={model.linksUnavailable}
            includeToken={includeToken}
            onIncludeToken={setIncludeToken}
            onCopy={() => void copy()}
            trans={trans}
          />
          {includeToken && (
            <NewLinkChoices
              choice={choice}
              onChoose={setChoice}
              onCopy={() => void copy()}
              status={linkStatus(model, choice, trans)}
              levelsOff={model.levelsOff}
              scopes={props.defaults.scopes}
              trans={trans}
            />
          )}
          <p
            className="jp-CapellaShare-warning"
            role="alert"
            data-permission={permission ?? 'none'}
          >
            <strong>{trans.__('Warning: ')}</strong>
            {warningFor(
              permission,
              trans,
              model.code,
              includeToken ? choice.scope : ''
            )}
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
