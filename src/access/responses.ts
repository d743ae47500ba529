import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { IAccess } from '../tokens';
import { explainRefusal } from './refusals';

/**
 * Have every refusal the Lab meets say why in the product's words and the
 * user's language: a 403 whose message is one of capella-share's (or the
 * server's stock "not authorized" to a guest) reaches the Lab's own error
 * dialogs and notifications already explained.
 *
 * The Lab's services all send their requests through the `fetch` of one
 * settings object; it has no hook for responses, so that `fetch` is wrapped.
 */
export function explainResponses(
  settings: ServerConnection.ISettings,
  access: IAccess,
  trans: TranslationBundle
): void {
  const fetch = settings.fetch;
  const basePath = new URL(settings.baseUrl, window.location.href).pathname;
  const explained = async (
    input: RequestInfo,
    init?: RequestInit
  ): Promise<Response> => {
    const response = await fetch.call(null, input, init);
    if (response.status !== 403) {
      return response;
    }
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url, window.location.href).pathname;
    let body: any;
    try {
      body = await response.clone().json();
    } catch {
      return response; // not a JSON refusal
    }
    const message = typeof body?.message === 'string' ? body.message : '';
    const reason = explainRefusal(
      {
        method: request.method,
        path: path.startsWith(basePath) ? path.slice(basePath.length) : path
      },
      message,
      access.facts,
      trans
    );
    if (reason === null) {
      return response;
    }
    return new Response(JSON.stringify({ ...body, message: reason }), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers
    });
  };
  (settings as { fetch: typeof explained }).fetch = explained;
}
