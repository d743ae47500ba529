import {
  Clipboard,
  Dialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { api } from '../client';
import { expiryChoices, permissionLabel, warningFor } from '../format';
import { ICreatedLink, ILink, Permission } from '../tokens';
import { HubGrantees } from './grantees';
import { ActiveLinks } from './links';

const PERMISSIONS: Permission[] = ['view', 'edit', 'full'];
const REFRESH_MS = 5000;

/**
 * What the dialog starts from.
 */
export interface IShareDefaults {
  permission: Permission;
  expiresIn: number | null;
}

interface IShareProps {
  sessionUrl: string;
  /** why share links cannot work here ('' when they can) */
  linksUnavailable: string;
  /** under JupyterHub: the server can also be shared with hub users and groups */
  hub: boolean;
  defaults: IShareDefaults;
  trans: TranslationBundle;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The body of the Share dialog: the URL, "Include the token in the URL",
 * permission and expiry, the warning, and the active links.
 */
export function ShareBody(props: IShareProps): JSX.Element {
  const { trans } = props;
  const [includeToken, setIncludeToken] = React.useState(false);
  const [permission, setPermission] = React.useState<Permission>(
    props.defaults.permission
  );
  const [expiresIn, setExpiresIn] = React.useState<number | null>(
    props.defaults.expiresIn
  );
  const [label, setLabel] = React.useState('');
  const [created, setCreated] = React.useState<ICreatedLink | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState('');
  const [links, setLinks] = React.useState<ILink[]>([]);
  const [now, setNow] = React.useState(Date.now());

  const refresh = React.useCallback(async () => {
    try {
      setLinks(await api.links());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  React.useEffect(() => {
    void refresh();
    const poll = window.setInterval(() => void refresh(), REFRESH_MS);
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    return () => {
      window.clearInterval(poll);
      window.clearInterval(tick);
    };
  }, [refresh]);

  // The link this dialog made for the URL; replaced when a choice changes.
  const issued = React.useRef<ICreatedLink | null>(null);
  const generation = React.useRef(0);

  /** Revoke a link this dialog made, unless someone has used it already. */
  const withdraw = async (link: ICreatedLink | null) => {
    if (!link) {
      return;
    }
    const listed = (await api.links()).find(l => l.id === link.id);
    if (listed && !listed.last_used && listed.connections.length === 0) {
      await api.revokeLink(link.id);
    }
  };

  /** Make a link with these choices and show it in the URL. */
  const issue = async (choice: {
    permission: Permission;
    expiresIn: number | null;
    label: string;
  }) => {
    const mine = ++generation.current;
    setBusy(true);
    setError('');
    try {
      const link = await api.createLink({
        permission: choice.permission,
        expires_in: choice.expiresIn,
        label: choice.label.trim() || undefined
      });
      if (mine !== generation.current) {
        await withdraw(link); // a newer choice won meanwhile
        return;
      }
      const previous = issued.current;
      issued.current = link;
      setCreated(link);
      await withdraw(previous);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      if (mine === generation.current) {
        setBusy(false);
      }
      await refresh();
    }
  };

  const toggle = async (checked: boolean) => {
    setIncludeToken(checked);
    if (checked) {
      await issue({ permission, expiresIn, label });
    } else {
      generation.current++;
      const previous = issued.current;
      issued.current = null;
      setCreated(null);
      await withdraw(previous);
      await refresh();
    }
  };

  const revoke = async (id: string) => {
    try {
      await api.revokeLink(id);
      if (issued.current?.id === id) {
        issued.current = null;
        setCreated(null);
      }
      await refresh();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const revokeAll = async () => {
    const result = await showDialog({
      title: trans.__('Revoke all links?'),
      body: trans.__(
        'Everyone who came in through a link loses access at once, and their open notebooks, kernels and terminals are disconnected.'
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Revoke all') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await api.revokeAll();
      issued.current = null;
      setCreated(null);
      await refresh();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const shownUrl = includeToken && created ? created.url : props.sessionUrl;
  const copy = () => {
    Clipboard.copyToSystem(shownUrl);
    Notification.success(trans.__('The URL is copied to the clipboard.'), {
      autoClose: 3000
    });
  };

  return (
    <div className="jp-CapellaShare-dialog">
      <label className="jp-CapellaShare-field">
        <span>{trans.__('Session URL')}</span>
        <div className="jp-CapellaShare-urlRow">
          <input
            className="jp-mod-styled jp-CapellaShare-url"
            readOnly
            aria-label={trans.__('Session URL')}
            value={shownUrl}
            onFocus={event => event.currentTarget.select()}
          />
          <button
            className="jp-mod-styled jp-mod-accept jp-Button"
            onClick={copy}
            disabled={includeToken && !created}
          >
            {trans.__('Copy')}
          </button>
        </div>
      </label>

      {props.linksUnavailable ? (
        <p className="jp-CapellaShare-unavailable" role="note">
          <strong>{trans.__('Share links cannot work on this server.')}</strong>{' '}
          {props.linksUnavailable}
        </p>
      ) : (
        <label className="jp-CapellaShare-checkbox">
          <input
            type="checkbox"
            checked={includeToken}
            onChange={event => void toggle(event.currentTarget.checked)}
          />
          {trans.__('Include the token in the URL')}
        </label>
      )}

      {includeToken && (
        <fieldset className="jp-CapellaShare-choices">
          <legend>{trans.__('New link')}</legend>
          <label className="jp-CapellaShare-field">
            <span>{trans.__('Permission')}</span>
            <select
              className="jp-mod-styled"
              aria-label={trans.__('Permission')}
              value={permission}
              onChange={event => {
                const value = event.currentTarget.value as Permission;
                setPermission(value);
                void issue({ permission: value, expiresIn, label });
              }}
            >
              {PERMISSIONS.map(p => (
                <option key={p} value={p}>
                  {permissionLabel(p, trans)}
                </option>
              ))}
            </select>
          </label>
          <label className="jp-CapellaShare-field">
            <span>{trans.__('Expires after')}</span>
            <select
              className="jp-mod-styled"
              aria-label={trans.__('Expires after')}
              value={expiresIn === null ? 'never' : String(expiresIn)}
              onChange={event => {
                const raw = event.currentTarget.value;
                const value = raw === 'never' ? null : Number(raw);
                setExpiresIn(value);
                void issue({ permission, expiresIn: value, label });
              }}
            >
              {expiryChoices(trans).map(choice => (
                <option
                  key={choice.label}
                  value={choice.seconds === null ? 'never' : choice.seconds}
                >
                  {choice.label}
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
              value={label}
              onChange={event => setLabel(event.currentTarget.value)}
              onBlur={() => {
                if (includeToken && label.trim() !== (created?.label ?? '')) {
                  void issue({ permission, expiresIn, label });
                }
              }}
            />
          </label>
          <p className="jp-CapellaShare-linkStatus" role="status">
            {busy
              ? trans.__('Making the link…')
              : created
                ? trans.__(
                    'The URL above carries this link. Changing a choice makes a new link.'
                  )
                : ''}
          </p>
        </fieldset>
      )}

      <p
        className="jp-CapellaShare-warning"
        role="alert"
        data-permission={includeToken ? permission : 'none'}
      >
        <strong>{trans.__('Warning: ')}</strong>
        {warningFor(includeToken ? permission : null, trans)}
      </p>
      {error && (
        <p className="jp-CapellaShare-error" role="status">
          {error}
        </p>
      )}

      <ActiveLinks
        links={links}
        now={now}
        trans={trans}
        onRevoke={link => void revoke(link.id)}
        onRevokeAll={() => void revokeAll()}
      />
      {props.hub && (
        <HubGrantees
          trans={trans}
          defaultPermission={props.defaults.permission}
          onError={setError}
        />
      )}
    </div>
  );
}

/**
 * Open the Share dialog.
 */
export async function openShareDialog(props: IShareProps): Promise<void> {
  const body = ReactWidget.create(<ShareBody {...props} />);
  body.addClass('jp-CapellaShare-body');
  const dialog = new Dialog({
    title: props.trans.__('Share this session'),
    body,
    buttons: [Dialog.cancelButton({ label: props.trans.__('Close') })]
  });
  // sized to the window, not to the Lab's 500 px default (see the stylesheet)
  dialog.addClass('jp-CapellaShare-shareDialog');
  await dialog.launch();
}
