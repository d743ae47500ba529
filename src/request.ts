import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The one place that talks to the capella-share server extension.
 *
 * @param endPoint path below `{base_url}api/capella-share/`
 * @param init request options (method, body…)
 * @param settings the app's server settings (`app.serviceManager.serverSettings`)
 * @returns the response body parsed as JSON (undefined for 204)
 * @throws ServerConnection.ResponseError with the server's message on 4xx/5xx
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit,
  settings: ServerConnection.ISettings
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'api', 'capella-share', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const message =
      (data && typeof data === 'object' && data.message) ||
      (typeof data === 'string' && data) ||
      response.statusText;
    throw new ServerConnection.ResponseError(response, message);
  }
  return data as T;
}

/**
 * The URL of a websocket below `{base_url}api/capella-share/`.
 */
export function socketURL(
  endPoint: string,
  settings: ServerConnection.ISettings
): string {
  return URLExt.join(settings.wsUrl, 'api', 'capella-share', endPoint);
}

/**
 * What went wrong, in words for the user: the server's message for a refused
 * request, the error's own message otherwise.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
