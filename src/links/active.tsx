import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ILink } from '../tokens';
import { LinksModel } from './model';
import { LinkRow } from './row';

interface IActiveLinksProps {
  model: LinksModel;
  trans: TranslationBundle;
  /** open what a link's guests did */
  onActivity?: (link: ILink) => void;
}

/**
 * Focus what `find` returns once it is drawn (a list redraws a frame or two
 * after the server answered), so that the keyboard focus never falls to the page.
 */
function focusWhenDrawn(find: () => HTMLElement | null | undefined): void {
  let frames = 0;
  const attempt = () => {
    const element = find();
    if (element) {
      element.focus();
    } else if (++frames < 30) {
      requestAnimationFrame(attempt);
    }
  };
  requestAnimationFrame(attempt);
}

/**
 * The active links: who is connected through each, a countdown, Revoke; then
 * Revoke all, which asks first, here in the dialog. The list scrolls on its
 * own, so that the URL above and Revoke all below stay in view however many
 * links there are.
 */
export function ActiveLinks(props: IActiveLinksProps): JSX.Element {
  const { model, trans } = props;
  const links = model.links;
  const section = React.useRef<HTMLElement>(null);
  const [confirming, setConfirming] = React.useState(false);

  // Where the focus goes when what had it is gone: the Copy button.
  const copyButton = () =>
    section.current
      ?.closest('.jp-Dialog-content')
      ?.querySelector<HTMLElement>('.jp-CapellaShare-copy');
  const revokeAllButton = () =>
    section.current?.querySelector<HTMLElement>('.jp-CapellaShare-revokeAll');

  const revoke = async (id: string) => {
    const ids = links.map(link => link.id);
    const at = ids.indexOf(id);
    const next = ids[at + 1] ?? ids[at - 1];
    await model.revoke(id);
    focusWhenDrawn(() =>
      next
        ? section.current?.querySelector<HTMLElement>(
            `tr[data-link-id="${next}"] button.jp-mod-warn`
          )
        : copyButton()
    );
  };
  const revokeAll = async () => {
    setConfirming(false);
    await model.revokeAll();
    focusWhenDrawn(copyButton);
  };
  const cancel = () => {
    setConfirming(false);
    focusWhenDrawn(revokeAllButton);
  };

  const heading = trans.__('Active links (%1)', links.length);
  return (
    <section
      className="jp-CapellaShare-linksSection"
      aria-label={trans.__('Active links')}
      ref={section}
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
                    {trans.__('Actions')}
                  </span>
                </th>
              </tr>
            </thead>
            <UseSignal signal={model.ticked} initialArgs={model.now}>
              {(_, now) => (
                <tbody>
                  {links.map(link => (
                    <LinkRow
                      key={link.id}
                      link={link}
                      now={now ?? model.now}
                      trans={trans}
                      onRevoke={() => void revoke(link.id)}
                      onActivity={
                        props.onActivity && (() => props.onActivity!(link))
                      }
                    />
                  ))}
                </tbody>
              )}
            </UseSignal>
          </table>
        </div>
      )}
      {links.length > 0 &&
        (confirming ? (
          <RevokeAllQuestion
            onConfirm={() => void revokeAll()}
            onCancel={cancel}
            trans={trans}
          />
        ) : (
          <div className="jp-CapellaShare-revokeAllRow">
            <button
              type="button"
              className="jp-mod-styled jp-mod-warn jp-Button jp-CapellaShare-revokeAll"
              onClick={() => setConfirming(true)}
            >
              {trans.__('Revoke all')}
            </button>
          </div>
        ))}
    </section>
  );
}

/**
 * "Revoke all links?" asked in place, with the focus on Cancel: a second
 * dialog would wait until the Share dialog closed. Escape cancels.
 */
function RevokeAllQuestion(props: {
  onConfirm: () => void;
  onCancel: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const cancel = React.useRef<HTMLButtonElement>(null);
  React.useEffect(() => cancel.current?.focus(), []);
  return (
    <div
      className="jp-CapellaShare-confirm"
      role="group"
      aria-label={trans.__('Revoke all links?')}
      onKeyDown={event => {
        if (event.key === 'Escape') {
          event.preventDefault();
          props.onCancel();
        }
      }}
    >
      <p>
        <strong>{trans.__('Revoke all links?')}</strong>{' '}
        {trans.__(
          'Everyone who came in through a link loses access at once, and their open notebooks, kernels and terminals are disconnected.'
        )}
      </p>
      <div className="jp-CapellaShare-confirmButtons">
        <button
          type="button"
          ref={cancel}
          className="jp-mod-styled jp-mod-reject jp-Button"
          onClick={props.onCancel}
        >
          {trans.__('Cancel')}
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-mod-warn jp-Button"
          onClick={props.onConfirm}
        >
          {trans.__('Yes, revoke all')}
        </button>
      </div>
    </div>
  );
}
