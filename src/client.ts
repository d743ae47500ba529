import { ICreatedLink, IInfo, ILink, ILinkRequest, ISession } from './tokens';
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
    requestAPI<void>('links', { method: 'DELETE' })
};
