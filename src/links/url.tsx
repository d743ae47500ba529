import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

interface IUrlFieldProps {
  /** the URL to show and copy */
  url: string;
  /** false while the link the URL should carry is being made */
  copyable: boolean;
  /** why share links cannot work here ('' when they can) */
  linksUnavailable: string;
  includeToken: boolean;
  onIncludeToken: (checked: boolean) => void;
  trans: TranslationBundle;
}

/**
 * The session URL with Copy, then "Include the token in the URL" (or why
 * links cannot work on this server).
 */
export function UrlField(props: IUrlFieldProps): JSX.Element {
  const { trans } = props;
  const copy = () => {
    Clipboard.copyToSystem(props.url);
    Notification.success(trans.__('The URL is copied to the clipboard.'), {
      autoClose: 3000
    });
  };
  return (
    <>
      <label className="jp-CapellaShare-field">
        <span>{trans.__('Session URL')}</span>
        <div className="jp-CapellaShare-urlRow">
          <input
            className="jp-mod-styled jp-CapellaShare-url"
            readOnly
            aria-label={trans.__('Session URL')}
            value={props.url}
            onFocus={event => event.currentTarget.select()}
          />
          <button
            className="jp-mod-styled jp-mod-accept jp-Button"
            onClick={copy}
            disabled={!props.copyable}
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
            checked={props.includeToken}
            onChange={event =>
              props.onIncludeToken(event.currentTarget.checked)
            }
          />
          {trans.__('Include the token in the URL')}
        </label>
      )}
    </>
  );
}
