import {
  ICreatedLink,
  IDeletedShare,
  IInfo,
  ILink,
  ILinkRequest,
  IProjectShare,
  ISession,
  IShareList,
  SharePermission
} from './tokens';
import { requestAPI } from './request';

/**
 * Typed calls of the REST contract.
 */
export const api = {
  info: (): Promise<IInfo> => requestAPI<IInfo>('info'),
  session: (): Promise<ISession> => requestAPI<ISession>('session'),
  links: async (): Promise<ILink[]> =>
    (await requestAPI<{ links: ILink[] }>('links')).links,
  createLink: (request: ILinkRequest): Promise<ICreatedLink> =>
    requestAPI<ICreatedLink>('links', {
      method: 'POST',
      body: JSON.stringify(request)
    }),
  revokeLink: (id: string): Promise<void> =>
    requestAPI<void>(`links/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  revokeAll: (): Promise<void> =>
    requestAPI<void>('links', { method: 'DELETE' }),
  shares: (): Promise<IShareList> => requestAPI<IShareList>('shares'),
  createShare: (
    project: string,
    model: string,
    permission: SharePermission
  ): Promise<IProjectShare> =>
    requestAPI<IProjectShare>('shares', {
      method: 'POST',
      body: JSON.stringify({ project, model, permission })
    }),
  setSharePermission: (
    share: IProjectShare,
    permission: SharePermission
  ): Promise<IProjectShare> =>
    requestAPI<IProjectShare>(shareEndPoint(share), {
      method: 'PATCH',
      body: JSON.stringify({ permission })
    }),
  deleteShare: (
    share: IProjectShare,
    confirm: string
  ): Promise<IDeletedShare> =>
    requestAPI<IDeletedShare>(shareEndPoint(share), {
      method: 'DELETE',
      body: JSON.stringify({ confirm })
    })
};

/**
 * The end point of one project share, below `{base_url}api/capella-share/`.
 */
export function shareEndPoint(share: IProjectShare, ...rest: string[]): string {
  return [share.project, share.model, ...rest]
    .map(part => encodeURIComponent(part))
    .reduce((path, part) => `${path}/${part}`, 'shares');
}
