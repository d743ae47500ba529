import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { permissionLabel } from '../format';
import { IActivityRecord, Permission } from '../tokens';
import { describe } from './describe';
import { ActivityModel } from './model';

/**
 * What the activity view needs from the rest of Lab.
 */
export interface IActivityPanelOptions {
  model: ActivityModel;
  trans: TranslationBundle;
  /** what the view is of: a link's label, or '' for every link */
  title: string;
  /** where the CSV download is */
  csvURL: string;
  /** open a file or folder (contents path) */
  open: (path: string) => void;
}

function When(props: { at: string }): JSX.Element {
  const moment = new Date(props.at);
  return (
    <time dateTime={props.at} title={props.at}>
      {isNaN(moment.getTime()) ? props.at : moment.toLocaleString()}
    </time>
  );
}

function Row(props: {
  record: IActivityRecord;
  trans: TranslationBundle;
  open: (path: string) => void;
}): JSX.Element {
  const { record, trans } = props;
  const said = describe(record, trans);
  const guest = ['view', 'edit', 'full'].includes(said.level);
  return (
    <tr data-action={record.action} data-seq={record.seq}>
      <td className="jp-CapellaActivity-when">
        <When at={record.at} />
      </td>
      <td className="jp-CapellaActivity-who">
        {said.who}{' '}
        {guest && (
          <span className={`jp-CapellaShare-badge jp-mod-${said.level}`}>
            {permissionLabel(said.level as Permission, trans)}
          </span>
        )}
      </td>
      <td className="jp-CapellaActivity-what">{said.what}</td>
      <td className="jp-CapellaActivity-detail">
        {said.paths.map((path, index) => (
          <React.Fragment key={`${index}:${path}`}>
            {index > 0 && <span aria-hidden="true"> → </span>}
            <button
              className="jp-CapellaActivity-path"
              title={trans.__('Open %1', path)}
              onClick={() => props.open(path)}
            >
              {path}
            </button>{' '}
          </React.Fragment>
        ))}
        {said.code && <code>{said.code}</code>} {said.detail}
      </td>
    </tr>
  );
}

function ActivityView(props: IActivityPanelOptions): JSX.Element {
  const { model, trans } = props;
  const heading = props.title
    ? trans.__('Activity of the link "%1"', props.title)
    : trans.__('Activity of every link');
  return (
    <div className="jp-CapellaActivity-view">
      <div className="jp-CapellaActivity-header">
        <h2 className="jp-CapellaActivity-title">{heading}</h2>
        <div className="jp-CapellaActivity-actions">
          <button
            className="jp-mod-styled jp-Button"
            onClick={() => void model.refresh()}
            disabled={model.loading}
          >
            {trans.__('Refresh')}
          </button>
          <a
            className="jp-mod-styled jp-mod-accept jp-Button jp-CapellaActivity-csv"
            href={props.csvURL}
            download
          >
            {trans.__('Download CSV')}
          </a>
        </div>
      </div>
      {!model.recording && (
        <p className="jp-CapellaShare-note">
          {trans.__(
            'This server records no activity (CapellaShareApp.activity_trail is off).'
          )}
        </p>
      )}
      {model.problem && (
        <p className="jp-CapellaShare-warning" role="alert">
          {model.problem}
        </p>
      )}
      {model.error && (
        <p className="jp-CapellaShare-error" role="status">
          {model.error}
        </p>
      )}
      {model.records.length === 0 && !model.loading && model.recording ? (
        <p className="jp-CapellaShare-note">{trans.__('Nothing yet.')}</p>
      ) : (
        <table className="jp-CapellaActivity-table" aria-label={heading}>
          <thead>
            <tr>
              <th>{trans.__('When')}</th>
              <th>{trans.__('Who')}</th>
              <th>{trans.__('What')}</th>
              <th>{trans.__('Details')}</th>
            </tr>
          </thead>
          <tbody>
            {model.records.map(record => (
              <Row
                key={record.seq}
                record={record}
                trans={trans}
                open={props.open}
              />
            ))}
          </tbody>
        </table>
      )}
      {model.hasOlder && (
        <button
          className="jp-mod-styled jp-Button jp-CapellaActivity-older"
          onClick={() => void model.loadOlder()}
          disabled={model.loading}
        >
          {trans.__('Show older')}
        </button>
      )}
    </div>
  );
}

/**
 * The activity of a link (or of every link), newest first, in the main area:
 * while it is shown, it asks the server every few seconds for the records made
 * since (at once when it is shown again).
 */
export class ActivityPanel extends ReactWidget {
  constructor(private _options: IActivityPanelOptions) {
    super();
    this.addClass('jp-CapellaActivity');
  }

  get model(): ActivityModel {
    return this._options.model;
  }

  dispose(): void {
    this._options.model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._options.model.follow();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._options.model.stop();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._options.model.follow();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._options.model.stop();
    super.onBeforeDetach(msg);
  }

  protected render(): JSX.Element {
    const { model } = this._options;
    return (
      <UseSignal signal={model.changed} initialSender={model}>
        {() => <ActivityView {...this._options} />}
      </UseSignal>
    );
  }
}
