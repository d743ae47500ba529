import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { downloadArchive, removeShare, setPermission } from './actions';
import { SharesHeader } from './header';
import { byProject, mayDelete, SharesModel } from './model';
import { ShareRow } from './row';

/**
 * What the panel needs from the rest of Lab.
 */
export interface ISharesPanelOptions {
  model: SharesModel;
  trans: TranslationBundle;
  /** open a folder (contents path) in the file browser */
  openFolder: (path: string) => Promise<void>;
}

function SharesView(props: ISharesPanelOptions): JSX.Element {
  const { model, trans } = props;
  const list = model.list;
  const manage = model.manage;
  const projects = byProject(list?.shares ?? []);
  return (
    <div className="jp-CapellaShares-panel">
      <SharesHeader model={model} trans={trans} />
      {list && list.shares.length === 0 && (
        <p className="jp-CapellaShare-note jp-CapellaShares-empty">
          {manage
            ? trans.__(
                'No project shares yet. A share is a folder for one model of a project, read-write or read-only for everyone in this session.'
              )
            : trans.__('No project shares.')}
        </p>
      )}
      <ul
        className="jp-CapellaShares-projects"
        aria-label={trans.__('Projects')}
      >
        {[...projects.entries()].map(([project, shares]) => (
          <li key={project} className="jp-CapellaShares-project">
            <h3 className="jp-CapellaShares-projectName" title={project}>
              {shares[0].project_name}
            </h3>
            <ul className="jp-CapellaShares-shares">
              {shares.map(share => (
                <ShareRow
                  key={share.path}
                  share={share}
                  trans={trans}
                  mayDelete={mayDelete(model.registry, share, manage)}
                  mayChangePermission={manage && model.registry === null}
                  busy={model.busy !== ''}
                  onOpen={() => void props.openFolder(share.path)}
                  onPermission={permission =>
                    void setPermission(model, share, permission, trans)
                  }
                  onDownload={() => downloadArchive(model, share)}
                  onDelete={() => void removeShare(model, share, trans)}
                />
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The "Project shares" side panel: it asks the server while it is shown, and
 * at once when it is shown again.
 */
export class SharesPanel extends ReactWidget {
  constructor(private _options: ISharesPanelOptions) {
    super();
    this.addClass('jp-CapellaShares');
  }

  dispose(): void {
    this._options.model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._options.model.start();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._options.model.stop();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._options.model.start();
    }
  }

  protected render(): JSX.Element {
    const { model } = this._options;
    return (
      <UseSignal signal={model.changed} initialSender={model}>
        {() => <SharesView {...this._options} />}
      </UseSignal>
    );
  }
}
