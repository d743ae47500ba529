import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

interface IUrlFieldProps {
  /** the URL to show ('' while the link to show is not made yet) */
  url: string;
  /** a link is being made: Copy waits */
  busy: boolean;
  /** why share links cannot work here ('' when they can) */
  linksUnavailable: string;
  includeToken: boolean;
  onIncludeToken: (checked: boolean) => void;
  /** copy the URL (making the link first when there is none yet) */
  onCopy: () => void;
  trans: TranslationBundle;
}

/**
 * The session URL with Copy, then "Include the token in the URL" (or why
 * links cannot work on this server).
 */
export function UrlField(props: IUrlFieldProps): JSX.Element {
  const { trans } = props;
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
            placeholder={trans.__('The link is made when you copy it')}
            onFocus={event => event.currentTarget.select()}
            onKeyDown={event => {
              if (event.key === 'Enter') {
                event.preventDefault();
                props.onCopy();
              }
            }}
          />
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept jp-Button jp-CapellaShare-copy"
            onClick={props.onCopy}
            aria-disabled={props.busy}
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
