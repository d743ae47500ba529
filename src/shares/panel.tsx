import { Notification } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  deleteIcon,
  downloadIcon,
  lockIcon,
  ReactWidget,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { api, shareEndPoint } from '../client';
import { IProjectShare, IShareList, SharePermission } from '../tokens';
import { deleteShareDialog, newShareDialog } from './dialogs';
import { formatCounts } from './names';

const REFRESH_MS = 10000;

/**
 * What the panel needs from the rest of Lab.
 */
export interface ISharesPanelOptions {
  trans: TranslationBundle;
  /** whether this user may create, change and delete shares */
  canManage: boolean;
  /** open a folder (contents path) in the file browser */
  openFolder: (path: string) => Promise<void>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Download a share's zip: the browser streams it to disk, authenticated by its
 * login cookie like JupyterLab's own downloads.
 */
export function downloadArchive(share: IProjectShare): void {
  const settings = ServerConnection.makeSettings();
  const url = new URL(
    URLExt.join(
      settings.baseUrl,
      'api',
      'capella-share',
      shareEndPoint(share, 'archive')
    ),
    window.location.href
  );
  const xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b');
  if (xsrf) {
    url.searchParams.append('_xsrf', xsrf[1]);
  }
  const link = document.createElement('a');
  link.href = url.toString();
  link.download = `${share.project}-${share.model}.zip`;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

function PermissionBadge(props: {
  share: IProjectShare;
  trans: TranslationBundle;
}): JSX.Element {
  const { share, trans } = props;
  const readOnly = share.permission === 'read-only';
  return (
    <span className="jp-CapellaShares-badges">
      <span
        className={`jp-CapellaShare-badge jp-CapellaShares-badge jp-mod-${share.permission}`}
        title={
          readOnly
            ? trans.__('Read-only: nobody can change its files in this session')
            : trans.__('Read-write')
        }
      >
        {readOnly ? trans.__('RO') : trans.__('RW')}
      </span>
      {share.filesystem_read_only && (
        <span
          className="jp-CapellaShare-badge jp-CapellaShares-badge jp-mod-filesystem"
          title={trans.__(
            'Read-only on disk too (a read-only mount): kernels and terminals cannot change it either'
          )}
        >
          <lockIcon.react tag="span" height="12px" />
          {trans.__('disk')}
        </span>
      )}
    </span>
  );
}

function ShareRow(props: {
  share: IProjectShare;
  trans: TranslationBundle;
  manage: boolean;
  busy: boolean;
  onOpen: () => void;
  onPermission: (permission: SharePermission) => void;
  onDownload: () => void;
  onDelete: () => void;
}): JSX.Element {
  const { share, trans } = props;
  const other: SharePermission =
    share.permission === 'read-only' ? 'read-write' : 'read-only';
  return (
    <li
      className="jp-CapellaShares-share"
      data-share={`${share.project}/${share.model}`}
    >
      <div className="jp-CapellaShares-line">
        <button
          type="button"
          className="jp-CapellaShares-open"
          title={trans.__('Open %1 in the file browser', share.path)}
          onClick={props.onOpen}
          disabled={!share.exists}
        >
          {share.model_name}
        </button>
        <PermissionBadge share={share} trans={trans} />
        <ToolbarButtonComponent
          icon={downloadIcon}
          tooltip={trans.__('Download %1 as zip', share.path)}
          onClick={props.onDownload}
          enabled={share.exists}
        />
        {props.manage && (
          <ToolbarButtonComponent
            icon={deleteIcon}
            tooltip={trans.__('Delete %1…', share.path)}
            onClick={props.onDelete}
            enabled={!props.busy}
          />
        )}
      </div>
      <div className="jp-CapellaShares-line">
        <span className="jp-CapellaShares-counts">
          {share.exists
            ? formatCounts(share.files, share.bytes, trans)
            : trans.__('folder missing')}
        </span>
        {props.manage && (
          <button
            type="button"
            className="jp-CapellaShares-permission"
            disabled={props.busy}
            onClick={() => props.onPermission(other)}
            title={
              other === 'read-only'
                ? trans.__('Make %1 read-only', share.path)
                : trans.__('Make %1 read-write', share.path)
            }
          >
            {other === 'read-only'
              ? trans.__('Make read-only')
              : trans.__('Make read-write')}
          </button>
        )}
      </div>
    </li>
  );
}

function SharesView(props: ISharesPanelOptions): JSX.Element {
  const { trans } = props;
  const [list, setList] = React.useState<IShareList | null>(null);
  const [error, setError] = React.useState('');
  const [busy, setBusy] = React.useState('');

  const refresh = React.useCallback(async () => {
    try {
      setList(await api.shares());
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  React.useEffect(() => {
    void refresh();
    const poll = window.setInterval(() => {
      if (!document.hidden) {
        void refresh();
      }
    }, REFRESH_MS);
    return () => window.clearInterval(poll);
  }, [refresh]);

  const manage = !!list && !list.managed && props.canManage;

  const act = async (key: string, action: () => Promise<void>) => {
    setBusy(key);
    try {
      await action();
    } catch (e) {
      Notification.error(errorMessage(e), { autoClose: 8000 });
    } finally {
      setBusy('');
      await refresh();
    }
  };

  const create = async () => {
    const request = await newShareDialog(list?.shares_root ?? '', trans);
    if (!request) {
      return;
    }
    await act('new', async () => {
      const share = await api.createShare(
        request.project,
        request.model,
        request.permission
      );
      Notification.success(
        trans.__('Created the %1 share %2', share.permission, share.path),
        { autoClose: 4000 }
      );
    });
  };

  const setPermission = (share: IProjectShare, permission: SharePermission) =>
    act(share.path, async () => {
      const changed = await api.setSharePermission(share, permission);
      Notification.info(
        trans.__('%1 is now %2', changed.path, changed.permission),
        { autoClose: 4000 }
      );
    });

  const remove = async (share: IProjectShare) => {
    const confirm = await deleteShareDialog(share, trans, () =>
      downloadArchive(share)
    );
    if (!confirm) {
      return;
    }
    await act(share.path, async () => {
      const result = await api.deleteShare(share, confirm);
      Notification.success(
        trans._n(
          'Deleted %2: %1 file removed',
          'Deleted %2: %1 files removed',
          result.deleted_files,
          share.path
        ),
        { autoClose: 5000 }
      );
    });
  };

  const projects = new Map<string, IProjectShare[]>();
  for (const share of list?.shares ?? []) {
    const group = projects.get(share.project) ?? [];
    group.push(share);
    projects.set(share.project, group);
  }

  return (
    <div className="jp-CapellaShares-panel">
      <header className="jp-CapellaShares-header">
        <h2 className="jp-CapellaShares-title">{trans.__('Project shares')}</h2>
        {manage && (
          <ToolbarButtonComponent
            icon={addIcon}
            label={trans.__('New share')}
            tooltip={trans.__('Make a new project share')}
            onClick={() => void create()}
            enabled={busy === ''}
          />
        )}
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Refresh')}
          onClick={() => void refresh()}
        />
      </header>
      {list?.managed && (
        <p className="jp-CapellaShares-managed" role="note">
          {trans.__(
            'The platform that started this session manages these shares; they cannot be created, changed or deleted here.'
          )}
        </p>
      )}
      {list?.problem && (
        <p className="jp-CapellaShare-error" role="alert">
          {list.problem}
        </p>
      )}
      {error && (
        <p className="jp-CapellaShare-error" role="alert">
          {error}
        </p>
      )}
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
                  manage={manage}
                  busy={busy !== ''}
                  onOpen={() => void props.openFolder(share.path)}
                  onPermission={permission =>
                    void setPermission(share, permission)
                  }
                  onDownload={() => downloadArchive(share)}
                  onDelete={() => void remove(share)}
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
 * The "Project shares" side panel.
 */
export class SharesPanel extends ReactWidget {
  constructor(private _options: ISharesPanelOptions) {
    super();
    this.addClass('jp-CapellaShares');
  }

  protected render(): JSX.Element {
    return <SharesView {...this._options} />;
  }
}
