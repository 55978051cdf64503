/**
 * The webview end of a view's protocol (`src/shared/protocol/<view>.ts`), the same for every app: the VS Code API
 * handle (acquired once per page), typed posting, persisted state, and the connect/ready handshake. The app
 * listens first, then posts its `<view>/ready`; the host answers with the whole state, so no message is posted
 * before the app is listening. Every incoming message is checked with the view's parser: an unknown or malformed
 * one is logged and dropped, never handed to the app.
 */

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}
declare function acquireVsCodeApi(): VsCodeApi;

export interface Ipc<In, Out> {
  /** Sends a message to the host. */
  post(message: Out): void;
  /** What the app persisted (survives the webview being hidden and rebuilt); unchecked: validate before use. */
  getState(): unknown;
  setState<T>(state: T): void;
  /** Starts listening (each message validated, then handed to `onMessage`) and posts `ready`. Once. */
  connect(onMessage: (message: In) => void, ready: Out): void;
}

/** The page's end of the protocol; `parse` is the view's host→webview parser. Call once per page. */
export function createIpc<In, Out>(parse: (raw: unknown) => In | undefined): Ipc<In, Out> {
  const api = acquireVsCodeApi();
  let connected = false;
  return {
    post: (message) => api.postMessage(message),
    getState: () => api.getState(),
    setState: (state) => void api.setState(state),
    connect(onMessage, ready) {
      if (connected) {
        throw new Error('t2vid: the webview is already connected');
      }
      connected = true;
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        const message = parse(event.data);
        if (message === undefined) {
          console.warn('t2vid: ignored an invalid message', event.data);
          return;
        }
        onMessage(message);
      });
      api.postMessage(ready);
    },
  };
}
