import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IActivityPage,
  IActivityQuery,
  ICreatedLink,
  IDeletedShare,
  IGrant,
  IHubDirectory,
  IInfo,
  ILink,
  ILinkRequest,
  IProjectShare,
  ISession,
  ISharedPlace,
  IShareList,
  Permission,
  SharePermission,
  IUntrusted
} from './tokens';
import { requestAPI } from './request';

/**
 * GET grants: who this server is shared with on the hub.
 */
export interface IGrantList {
  grants: IGrant[];
  /** why the hub could not be asked, if it could not */
  problem: string | null;
}

/**
 * Typed calls of the REST contract, against the app's server.
 */
export class ShareClient {
  /**
   * @param settings the app's server settings (`app.serviceManager.serverSettings`)
   */
  constructor(readonly settings: ServerConnection.ISettings) {}

  /**
   * Which guests wrote the notebook at ``path`` so that its outputs are untrusted.
   */
  untrusted(path: string): Promise<IUntrusted> {
    return this._get<IUntrusted>(`untrusted?path=${encodeURIComponent(path)}`);
  }

  /**
   * A page of the activity trail, newest first.
   */
  activity(query: IActivityQuery = {}): Promise<IActivityPage> {
    return this._get<IActivityPage>(`activity${activityQuery(query)}`);
  }

  /**
   * Where the activity of ``link`` (of every link without one) is downloaded
   * as CSV: the browser fetches it itself, with its login cookie.
   */
  activityCsvURL(link?: string): string {
    return new URL(
      URLExt.join(this.settings.baseUrl, 'api', 'capella-share', 'activity') +
        activityQuery({ link, format: 'csv' }),
      window.location.href
    ).toString();
  }

  info(): Promise<IInfo> {
    return this._get<IInfo>('info');
  }

  /**
   * Who is asking, and the session URL of `place` (the Lab's by default).
   */
  session(place?: ISharedPlace): Promise<ISession> {
    if (!place || place.page === 'lab') {
      return this._get<ISession>('session');
    }
    const query = new URLSearchParams({ page: place.page, path: place.path });
    return this._get<ISession>(`session?${query}`);
  }

  async links(): Promise<ILink[]> {
    return (await this._get<{ links: ILink[] }>('links')).links;
  }

  createLink(request: ILinkRequest): Promise<ICreatedLink> {
    return this._send<ICreatedLink>('links', 'POST', request);
  }

  revokeLink(id: string): Promise<void> {
    return this._send<void>(`links/${encodeURIComponent(id)}`, 'DELETE');
  }

  revokeAll(): Promise<void> {
    return this._send<void>('links', 'DELETE');
  }

  grants(): Promise<IGrantList> {
    return this._get<IGrantList>('grants');
  }

  grant(
    kind: 'user' | 'group',
    name: string,
    permission: Permission
  ): Promise<IGrant> {
    return this._send<IGrant>('grants', 'POST', { [kind]: name, permission });
  }

  ungrant(id: string): Promise<void> {
    return this._send<void>(`grants/${encodeURIComponent(id)}`, 'DELETE');
  }

  hubDirectory(query: string): Promise<IHubDirectory> {
    return this._get<IHubDirectory>(
      `hub/directory?q=${encodeURIComponent(query)}`
    );
  }

  shares(): Promise<IShareList> {
    return this._get<IShareList>('shares');
  }

  createShare(
    project: string,
    model: string,
    permission: SharePermission
  ): Promise<IProjectShare> {
    return this._send<IProjectShare>('shares', 'POST', {
      project,
      model,
      permission
    });
  }

  setSharePermission(
    share: IProjectShare,
    permission: SharePermission
  ): Promise<IProjectShare> {
    return this._send<IProjectShare>(shareEndPoint(share), 'PATCH', {
      permission
    });
  }

  deleteShare(share: IProjectShare, confirm: string): Promise<IDeletedShare> {
    return this._send<IDeletedShare>(shareEndPoint(share), 'DELETE', {
      confirm
    });
  }

  /**
   * Where a share's zip is downloaded from: the browser fetches it itself,
   * authenticated by its login cookie like JupyterLab's own downloads.
   */
  archiveURL(share: IProjectShare): string {
    const url = new URL(
      URLExt.join(
        this.settings.baseUrl,
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
    return url.toString();
  }

  private _get<T>(endPoint: string): Promise<T> {
    return requestAPI<T>(endPoint, {}, this.settings);
  }

  private _send<T>(endPoint: string, method: string, body?: object) {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    return requestAPI<T>(endPoint, init, this.settings);
  }
}

/**
 * The query string of GET activity (empty when nothing is asked).
 */
export function activityQuery(
  query: IActivityQuery & { format?: 'json' | 'csv' }
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.append(name, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The end point of one project share, below `{base_url}api/capella-share/`.
 */
export function shareEndPoint(share: IProjectShare, ...rest: string[]): string {
  return [share.project, share.model, ...rest]
    .map(part => encodeURIComponent(part))
    .reduce((path, part) => `${path}/${part}`, 'shares');
}
