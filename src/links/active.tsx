import { Dialog, showDialog } from '@jupyterlab/apputils';
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
 * The active links: who is connected through each, a countdown, Revoke; then
 * Revoke all. The list scrolls on its own, so that the URL above and Revoke
 * all below stay in view however many links there are.
 */
export function ActiveLinks(props: IActiveLinksProps): JSX.Element {
  const { model, trans } = props;
  const links = model.links;
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
    if (result.button.accept) {
      await model.revokeAll();
    }
  };

  const heading = trans.__('Active links (%1)', links.length);
  return (
    <section
      className="jp-CapellaShare-linksSection"
      aria-label={trans.__('Active links')}
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
                      onRevoke={() => void model.revoke(link.id)}
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
      {links.length > 0 && (
        <div className="jp-CapellaShare-revokeAll">
          <button
            className="jp-mod-styled jp-mod-warn jp-Button"
            onClick={() => void revokeAll()}
          >
            {trans.__('Revoke all')}
          </button>
        </div>
      )}
    </section>
  );
}
