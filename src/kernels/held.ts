import {
  Kernel,
  KernelAPI,
  KernelConnection,
  ServerConnection
} from '@jupyterlab/services';
import { Poll } from '@lumino/polling';
import { Signal } from '@lumino/signaling';

import { ShareClient } from '../client';
import { IKernelsOff, ISession } from '../tokens';

/** How often a held kernel's state (idle, busy) is read from the server. */
const STATE_MS = 5000;

/**
 * A websocket that is never opened. A held kernel connection is given this one
 * instead of a real socket, which the server would refuse (403), and which the
 * Lab would retry forever, showing "Connecting".
 */
class UnopenedSocket {
  constructor(readonly url: string) {}
  readonly readyState = 0;
  readonly protocol = '';
  binaryType = 'arraybuffer';
  onopen: unknown = null;
  onclose: unknown = null;
  onmessage: unknown = null;
  onerror: unknown = null;
  send(): void {
    throw new Error('This kernel is not connected: it is the owner’s.');
  }
  close(): void {
    /* never opened */
  }
  addEventListener(): void {
    /* no event ever comes */
  }
  removeEventListener(): void {
    /* no event ever comes */
  }
}

/**
 * A guest's connection to a kernel the server may refuse it. Until the server
 * has said, and for good if it refuses, it opens no websocket; a refused
 * (held) kernel shows as connected, in the state the server reports for it
 * (idle, busy): the owner's kernel, running. A kernel the server lets the
 * guest use is connected as usual.
 */
export class GuestKernelConnection extends KernelConnection {
  /**
   * @param reason resolves with why the guest may not connect to this kernel,
   *   or null when it may
   */
  constructor(
    options: Kernel.IKernelConnection.IOptions & {
      serverSettings: ServerConnection.ISettings;
    },
    reason: Promise<string | null>
  ) {
    const settings = options.serverSettings;
    const gate = { open: false };
    // everything as the app's settings say, but the websocket while held
    const held: ServerConnection.ISettings = Object.create(settings, {
      WebSocket: {
        get: () => (gate.open ? settings.WebSocket : UnopenedSocket)
      }
    });
    super({ ...options, serverSettings: held });
    this.held = reason.then(why => {
      if (this.isDisposed) {
        return why;
      }
      if (why === null) {
        gate.open = true;
        void this.reconnect().catch(() => undefined);
      } else {
        this._hold(settings);
      }
      return why;
    });
  }

  /** Why this kernel is held (null: it is connected as usual). */
  readonly held: Promise<string | null>;

  get connectionStatus(): Kernel.ConnectionStatus {
    return this._state ? 'connected' : super.connectionStatus;
  }

  get status(): Kernel.Status {
    return this._state ?? super.status;
  }

  dispose(): void {
    this._poll?.dispose();
    super.dispose();
  }

  private _hold(settings: ServerConnection.ISettings): void {
    this._state = 'unknown';
    (
      this.connectionStatusChanged as Signal<this, Kernel.ConnectionStatus>
    ).emit('connected');
    this._poll = new Poll({
      factory: async () => {
        const model = await KernelAPI.getKernelModel(this.id, settings);
        const state = (model?.execution_state as Kernel.Status) ?? 'unknown';
        if (state !== this._state && !this.isDisposed) {
          this._state = state;
          (this.statusChanged as Signal<this, Kernel.Status>).emit(state);
        }
      },
      frequency: { interval: STATE_MS, backoff: true, max: 6 * STATE_MS },
      name: 'capella-share:held-kernel',
      standby: 'when-hidden'
    });
  }

  private _state: Kernel.Status | undefined;
  private _poll: Poll | undefined;
}

/**
 * What the server says of the kernels this guest may not connect to, kept up
 * to date: asked again for a kernel not known yet when kernels started later
 * may be off too.
 */
export class KernelsOff {
  constructor(
    private readonly _client: ShareClient,
    ready: Promise<ISession | null>
  ) {
    this._ready = ready.then(session => {
      this._facts = session?.you.kernels ?? NONE_OFF;
      return this._facts;
    });
  }

  /**
   * Why the kernel `id` is off, if that is known now: a reason, null when it
   * is not off, undefined when the server is to be asked.
   */
  known(id: string): string | null | undefined {
    const facts = this._facts;
    if (facts === null) {
      return undefined;
    }
    if (facts.refused) {
      return facts.refused;
    }
    if (id in facts.off) {
      return facts.off[id];
    }
    return facts.ask && !this._allowed.has(id) ? undefined : null;
  }

  /** Why the kernel `id` is off (asking the server if need be), or null. */
  async reason(id: string): Promise<string | null> {
    const facts = await this._ready;
    const known = this.known(id);
    if (known !== undefined || !facts.ask) {
      return known ?? null;
    }
    try {
      this._facts = (await this._client.session()).you.kernels;
    } catch {
      return null; // as before: the server decides when the socket opens
    }
    const why = this.known(id);
    if (why === undefined) {
      this._allowed.add(id);
    }
    return why ?? null;
  }

  private _facts: IKernelsOff | null = null;
  private readonly _ready: Promise<IKernelsOff>;
  private readonly _allowed = new Set<string>();
}

const NONE_OFF: IKernelsOff = { refused: null, off: {}, ask: false };

/**
 * Give the guest's Lab a held connection, instead of a websocket the server
 * would refuse, for every kernel the server says it may not connect to. All
 * the Lab's kernel connections are made by the kernel manager's `connectTo`
 * (documents' and consoles' sessions ask it too), so that is where.
 */
export function holdKernelsOff(
  kernels: Kernel.IManager,
  off: KernelsOff
): void {
  const connectTo = kernels.connectTo.bind(kernels);
  kernels.connectTo = options => {
    const id = options.model.id;
    const known = off.known(id);
    if (known === null) {
      return connectTo(options);
    }
    return new GuestKernelConnection(
      { ...options, serverSettings: kernels.serverSettings },
      known === undefined ? off.reason(id) : Promise.resolve(known)
    );
  };
}
