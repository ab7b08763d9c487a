/**
 * A ubus client over the unix socket, in the manner of libubus: one connection carries our requests (LOOKUP,
 * INVOKE, SUBSCRIBE, ...) and the objects we serve. Requests are matched on (seq, peer) like `ubus_find_request`.
 * When ubusd goes away the client reconnects and registers again everything it had: objects (they die with the
 * connection and get new IDs), event listeners and subscriptions.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import type { BlobmsgNode } from './blobmsg.js';
import { type FromBlobmsgOptions, objectFromFields, tableFields } from './blobmsg-json.js';
import { decodeMessage, encodeMessage, getAttr, MessageReader, type UbusMessage } from './message.js';
import { MSG, STATUS, UBUS_SOCKET_PATHS, UbusError } from './protocol.js';
import {
  addObjectMessage,
  eventInvokeMessage,
  eventRegisterData,
  eventSendData,
  invokeMessage,
  lookupMessage,
  removeObjectMessage,
  subscribeMessage,
} from './requests.js';
import { type MethodSpec, ObjectRegistry, type UbusObject } from './server.js';

export interface ConnectOptions {
  /** Socket path; default: /var/run/ubus/ubus.sock, then /var/run/ubus.sock (OpenWrt 19.07 and older). */
  socket?: string;
  /** Default per-request timeout (ms). The ubus CLI uses 30 s. */
  timeoutMs?: number;
  /** How long to wait for the socket and ubusd's HELLO (ms). */
  connectTimeoutMs?: number;
  /** Reconnect (and re-register) when ubusd goes away. Default true. */
  reconnect?: boolean;
  /** Longest wait between reconnect attempts (ms); attempts start fast and back off to this. */
  reconnectMaxDelayMs?: number;
  /** How INT64 values beyond 2^53 are returned. */
  int64?: FromBlobmsgOptions['int64'];
}

export interface ObjectInfo {
  path: string;
  id: number;
  typeId: number | undefined;
  /** method -> parameter -> blobmsg type id, as registered by the object's owner. */
  signature: Record<string, Record<string, number>>;
}

export interface CallResult {
  status: number;
  /** The first DATA reply (most methods send exactly one), or undefined. */
  data: Record<string, unknown> | undefined;
  /** Every DATA reply, in order (a method may send several). */
  replies: Record<string, unknown>[];
  /** The same replies as exact blobmsg fields (wire types kept). */
  raw?: BlobmsgNode[][];
}

export interface CallOptions {
  timeoutMs?: number;
}

export type Args = Record<string, unknown> | { fields: BlobmsgNode[] };

export type EventHandler = (event: string, data: Record<string, unknown>) => void;
export type NotificationHandler = (type: string, data: Record<string, unknown>, fromPath: string) => void;

export interface Listener {
  readonly pattern: string;
  close(): Promise<void>;
}

export interface Subscription {
  readonly path: string;
  /** Current ubus ID of the target, or undefined while it is absent. */
  readonly targetId: number | undefined;
  close(): Promise<void>;
}

interface Pending {
  data: UbusMessage[];
  resolve: (r: { status: number; data: UbusMessage[] }) => void;
  timer: NodeJS.Timeout | undefined;
  gen: number;
  /** Runs synchronously on each DATA, before any later message of the same chunk is dispatched. */
  onData: ((m: UbusMessage) => void) | undefined;
}

interface ListenerState {
  pattern: string;
  handler: EventHandler;
  objectId: number | undefined;
  closed: boolean;
}

interface SubscriptionState {
  path: string;
  handler: NotificationHandler;
  subscriberId: number | undefined;
  targetId: number | undefined;
  closed: boolean;
}

/** The first candidate that exists (new path first, then the pre-21.02 one); the new path when none does. */
export function defaultSocketPath(candidates: readonly string[] = UBUS_SOCKET_PATHS): string {
  return candidates.find((p) => existsSync(p)) ?? candidates[0] ?? UBUS_SOCKET_PATHS[0];
}

export class UbusClient extends EventEmitter {
  /** This connection's client ID, from ubusd's HELLO (decoded big-endian, unlike libubus). */
  clientId = 0;
  connected = false;
  private everConnected = false;
  private socket: Socket | undefined;
  private reader = new MessageReader();
  private seq = 0;
  private pending = new Map<string, Pending>();
  private gen = 0;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = 50;
  private readonly opts: Required<Omit<ConnectOptions, 'socket' | 'int64'>> & Pick<ConnectOptions, 'socket' | 'int64'>;
  private readonly registry: ObjectRegistry;
  private listeners_ = new Set<ListenerState>();
  private subscriptions = new Set<SubscriptionState>();
  /** One internal listener on `ubus.object.add` re-subscribes to targets that come back. */
  private objectAddListener: Listener | undefined;
  private listenerByObject = new Map<number, ListenerState>();
  private subscriptionByObject = new Map<number, SubscriptionState>();

  private constructor(opts: ConnectOptions) {
    super();
    this.opts = {
      timeoutMs: 30_000,
      connectTimeoutMs: 3_000,
      reconnect: true,
      reconnectMaxDelayMs: 2_000,
      ...opts,
    };
    this.registry = new ObjectRegistry({
      send: (m) => this.send(m),
      nextSeq: () => this.nextSeq(),
      request: (m, onData) => this.request(m, this.opts.timeoutMs, onData),
      int64: opts.int64,
      onHandlerError: (err, method) => this.emit('handlerError', err, method),
    });
  }

  /** Connects and waits for ubusd's HELLO. Throws when no ubusd answers. */
  static async connect(opts: ConnectOptions = {}): Promise<UbusClient> {
    const c = new UbusClient(opts);
    await c.open();
    return c;
  }

  get socketPath(): string {
    return this.opts.socket ?? defaultSocketPath();
  }

  private open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const path = this.socketPath;
      const sock = createConnection(path);
      const gen = ++this.gen;
      this.reader = new MessageReader();
      let helloSeen = false;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`ubus: no HELLO from ${path} within ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      sock.on('error', (err) => {
        if (!helloSeen) {
          clearTimeout(timer);
          reject(new Error(`ubus: cannot connect to ${path}: ${err.message}`));
        }
      });
      sock.on('close', () => {
        clearTimeout(timer);
        if (gen === this.gen) this.onClose();
      });
      sock.on('data', (chunk: Buffer) => {
        let frames: Uint8Array[];
        try {
          frames = this.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch (err) {
          // A corrupt stream cannot be resynchronised: drop the connection like ubusd/libubus do.
          this.emit('protocolError', err);
          sock.destroy();
          return;
        }
        for (const f of frames) {
          let msg: UbusMessage;
          try {
            msg = decodeMessage(f);
          } catch (err) {
            this.emit('protocolError', err);
            continue;
          }
          if (!helloSeen) {
            if (msg.type !== MSG.HELLO) continue;
            helloSeen = true;
            clearTimeout(timer);
            this.socket = sock;
            this.clientId = msg.peer;
            this.connected = true;
            this.everConnected = true;
            resolve();
            continue;
          }
          this.dispatch(msg);
        }
      });
    });
  }

  private onClose(): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.socket = undefined;
    this.gen++;
    for (const [key, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(key);
      p.resolve({ status: STATUS.CONNECTION_FAILED, data: p.data });
    }
    this.registry.connectionLost();
    for (const l of this.listeners_) l.objectId = undefined;
    for (const s of this.subscriptions) {
      s.subscriberId = undefined;
      s.targetId = undefined;
    }
    this.listenerByObject.clear();
    this.subscriptionByObject.clear();
    if (wasConnected) this.emit('disconnect');
    if (!this.closed && this.opts.reconnect && this.everConnected) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open().then(
        () => {
          this.reconnectDelay = 50;
          this.restore().then(
            () => this.emit('reconnect'),
            (err) => this.emit('protocolError', err),
          );
        },
        () => {
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.opts.reconnectMaxDelayMs);
          if (!this.closed) this.scheduleReconnect();
        },
      );
    }, this.reconnectDelay);
  }

  /** After a reconnect: objects first (their IDs change), then listeners, then subscriptions. */
  private async restore(): Promise<void> {
    // Each item on its own: one object whose name was taken meanwhile must not cost the others.
    const report = (err: unknown) => this.emit('protocolError', err);
    await this.registry.reregister(report);
    for (const l of this.listeners_) if (!l.closed) await this.registerListener(l).catch(report);
    for (const s of this.subscriptions) if (!s.closed) await this.startSubscription(s, false).catch(report);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  private send(msg: UbusMessage): boolean {
    if (!this.socket || !this.connected) return false;
    this.socket.write(encodeMessage(msg));
    return true;
  }

  /** Sends a request and collects DATA replies until the STATUS (or timeout / connection loss). */
  private request(
    msg: UbusMessage,
    timeoutMs = this.opts.timeoutMs,
    onData?: (m: UbusMessage) => void,
  ): Promise<{ status: number; data: UbusMessage[] }> {
    return new Promise((resolve) => {
      if (!this.connected) {
        resolve({ status: STATUS.CONNECTION_FAILED, data: [] });
        return;
      }
      const key = `${msg.seq}:${msg.peer >>> 0}`;
      const p: Pending = { data: [], resolve, timer: undefined, gen: this.gen, onData };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          if (this.pending.get(key) === p) this.pending.delete(key);
          resolve({ status: STATUS.TIMEOUT, data: p.data });
        }, timeoutMs);
      }
      this.pending.set(key, p);
      try {
        this.send(msg);
      } catch (err) {
        if (p.timer) clearTimeout(p.timer);
        this.pending.delete(key);
        throw err;
      }
    });
  }

  private dispatch(msg: UbusMessage): void {
    switch (msg.type) {
      case MSG.STATUS:
      case MSG.DATA: {
        const key = `${msg.seq}:${msg.peer >>> 0}`;
        const p = this.pending.get(key);
        if (!p) return;
        if (msg.type === MSG.DATA) {
          p.data.push(msg);
          p.onData?.(msg);
          return;
        }
        this.pending.delete(key);
        if (p.timer) clearTimeout(p.timer);
        p.resolve({ status: getAttr(msg, 'STATUS') ?? STATUS.INVALID_ARGUMENT, data: p.data });
        return;
      }
      case MSG.INVOKE:
        this.onInvoke(msg);
        return;
      case MSG.UNSUBSCRIBE: {
        const s = this.subscriptionByObject.get(getAttr(msg, 'OBJID') ?? 0);
        if (s && s.targetId === getAttr(msg, 'TARGET')) {
          s.targetId = undefined;
          this.emit('unsubscribed', s.path);
        }
        return;
      }
      case MSG.NOTIFY:
        this.registry.onNotify(msg);
        return;
      default:
        return;
    }
  }

  private onInvoke(msg: UbusMessage): void {
    const objid = getAttr(msg, 'OBJID') ?? 0;
    const l = this.listenerByObject.get(objid);
    const s = l ? undefined : this.subscriptionByObject.get(objid);
    if (!l && !s) {
      this.registry.onInvoke(msg);
      return;
    }
    const method = getAttr(msg, 'METHOD') ?? '';
    const data = objectFromFields(getAttr(msg, 'DATA') ?? [], { int64: this.opts.int64 });
    try {
      if (l) l.handler(method, data);
      else if (s) s.handler(method, data, s.path);
    } catch (err) {
      this.emit('handlerError', err, method);
    }
    // libubus answers events and replying notifications with STATUS 0; ubusd drops it when nobody waits.
    if (!getAttr(msg, 'NO_REPLY')) this.registry.replyStatus(msg.seq, msg.peer, objid, STATUS.OK);
  }

  // ---- public API ----

  /** LOOKUP: every object when `path` is omitted; a trailing `*` matches by prefix. Missing -> []. */
  async lookup(path?: string): Promise<ObjectInfo[]> {
    const r = await this.request(lookupMessage(this.nextSeq(), path));
    if (r.status !== STATUS.OK && r.status !== STATUS.NOT_FOUND) throw new UbusError(r.status);
    return r.data.map((m) => {
      const signature: ObjectInfo['signature'] = {};
      for (const method of getAttr(m, 'SIGNATURE') ?? []) {
        const params: Record<string, number> = {};
        if (method.type === 'TABLE') {
          for (const p of method.value) if (p.type === 'INT32' && p.name) params[p.name] = p.value;
        }
        signature[method.name ?? ''] = params;
      }
      return {
        path: getAttr(m, 'OBJPATH') ?? '',
        id: getAttr(m, 'OBJID') ?? 0,
        typeId: getAttr(m, 'OBJTYPE'),
        signature,
      };
    });
  }

  /** The ID of one object; throws UbusError NOT_FOUND when it is not registered. */
  async lookupId(path: string): Promise<number> {
    const found = (await this.lookup(path)).find((o) => o.path === path);
    if (!found) throw new UbusError(STATUS.NOT_FOUND, `ubus object '${path}' not found`);
    return found.id;
  }

  /**
   * INVOKE a method. Never throws for ubus-level failures: the status says what happened (NOT_FOUND when the
   * object does not exist, TIMEOUT, CONNECTION_FAILED, or the method's own status).
   */
  async call(object: string | number, method: string, args: Args = {}, opts: CallOptions = {}): Promise<CallResult> {
    let id: number;
    if (typeof object === 'number') id = object;
    else {
      let found: ObjectInfo | undefined;
      try {
        found = (await this.lookup(object)).find((o) => o.path === object);
      } catch (err) {
        return { status: err instanceof UbusError ? err.status : STATUS.UNKNOWN_ERROR, data: undefined, replies: [] };
      }
      if (!found) return { status: STATUS.NOT_FOUND, data: undefined, replies: [] };
      id = found.id;
    }
    const fields = 'fields' in args && Array.isArray(args.fields) ? (args.fields as BlobmsgNode[]) : tableFields(args);
    const r = await this.request(
      invokeMessage(this.nextSeq(), id, method, fields),
      opts.timeoutMs ?? this.opts.timeoutMs,
    );
    const raw = r.data.map((m) => getAttr(m, 'DATA')).filter((d): d is BlobmsgNode[] => d !== undefined);
    const replies = raw.map((d) => objectFromFields(d, { int64: this.opts.int64 }));
    return { status: r.status, data: replies[0], replies, raw };
  }

  /** Like `call` but throws UbusError unless the status is OK; returns the first reply ({} when none). */
  async callOk(
    object: string | number,
    method: string,
    args: Args = {},
    opts: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const r = await this.call(object, method, args, opts);
    if (r.status !== STATUS.OK) {
      throw new UbusError(r.status, `ubus call ${String(object)} ${method}: ${new UbusError(r.status).message}`);
    }
    return r.data ?? {};
  }

  /** Sends an event (`ubus send`). Names starting with `ubus.` are refused by ubusd (PERMISSION_DENIED). */
  async sendEvent(event: string, data: Record<string, unknown> = {}): Promise<void> {
    const msg = eventInvokeMessage(this.nextSeq(), 'send', eventSendData(event, tableFields(data)));
    const r = await this.request(msg);
    if (r.status !== STATUS.OK) throw new UbusError(r.status, `ubus send ${event}: ${new UbusError(r.status).message}`);
  }

  /** Listens for events matching `pattern` (`ubus listen`; trailing `*` = prefix). Our own events do not loop back. */
  async listen(pattern: string, handler: EventHandler): Promise<Listener> {
    const state: ListenerState = { pattern, handler, objectId: undefined, closed: false };
    await this.registerListener(state);
    this.listeners_.add(state);
    return {
      pattern,
      close: async () => {
        state.closed = true;
        this.listeners_.delete(state);
        if (state.objectId !== undefined) {
          this.listenerByObject.delete(state.objectId);
          await this.request(removeObjectMessage(this.nextSeq(), state.objectId));
        }
      },
    };
  }

  private async registerListener(state: ListenerState): Promise<void> {
    const id = await this.addAnonymousObject();
    this.listenerByObject.set(id, state);
    state.objectId = id;
    const r = await this.request(eventInvokeMessage(this.nextSeq(), 'register', eventRegisterData(id, state.pattern)));
    if (r.status !== STATUS.OK) {
      throw new UbusError(r.status, `ubus listen ${state.pattern}: ${new UbusError(r.status).message}`);
    }
  }

  private async addAnonymousObject(): Promise<number> {
    const r = await this.request(addObjectMessage(this.nextSeq()));
    const id = r.data.map((m) => getAttr(m, 'OBJID')).find((v) => v !== undefined);
    if (r.status !== STATUS.OK || id === undefined) {
      throw new UbusError(r.status || STATUS.NO_DATA, 'ubus: cannot add an anonymous object');
    }
    return id;
  }

  /**
   * Subscribes to an object's notifications (`ubus subscribe`). The subscription survives the target going away
   * and coming back (re-subscribed on `ubus.object.add`) and ubusd restarts. Throws NOT_FOUND if the object does
   * not exist now, unless `waitForObject` is set.
   */
  async subscribe(
    path: string,
    handler: NotificationHandler,
    opts: { waitForObject?: boolean } = {},
  ): Promise<Subscription> {
    const state: SubscriptionState = { path, handler, subscriberId: undefined, targetId: undefined, closed: false };
    await this.ensureObjectAddListener();
    await this.startSubscription(state, !opts.waitForObject);
    this.subscriptions.add(state);
    return {
      path,
      get targetId() {
        return state.targetId;
      },
      close: async () => {
        state.closed = true;
        this.subscriptions.delete(state);
        if (state.subscriberId !== undefined) {
          this.subscriptionByObject.delete(state.subscriberId);
          await this.request(removeObjectMessage(this.nextSeq(), state.subscriberId));
        }
      },
    };
  }

  private async ensureObjectAddListener(): Promise<void> {
    if (this.objectAddListener) return;
    this.objectAddListener = await this.listen('ubus.object.add', (_ev, data) => {
      const path = data.path;
      const id = data.id;
      if (typeof path !== 'string' || typeof id !== 'number') return;
      for (const s of this.subscriptions) {
        if (s.closed || s.path !== path || s.subscriberId === undefined) continue;
        void this.subscribeTo(s, id >>> 0);
      }
    });
  }

  private async startSubscription(state: SubscriptionState, mustExist: boolean): Promise<void> {
    if (state.subscriberId === undefined) {
      const id = await this.addAnonymousObject();
      state.subscriberId = id;
      this.subscriptionByObject.set(id, state);
    }
    const found = (await this.lookup(state.path)).find((o) => o.path === state.path);
    if (!found) {
      if (mustExist) {
        this.subscriptionByObject.delete(state.subscriberId);
        await this.request(removeObjectMessage(this.nextSeq(), state.subscriberId));
        state.subscriberId = undefined;
        throw new UbusError(STATUS.NOT_FOUND, `ubus object '${state.path}' not found`);
      }
      return;
    }
    await this.subscribeTo(state, found.id);
  }

  private async subscribeTo(state: SubscriptionState, targetId: number): Promise<void> {
    if (state.subscriberId === undefined || state.targetId === targetId) return;
    const r = await this.request(subscribeMessage(this.nextSeq(), state.subscriberId, targetId));
    if (r.status === STATUS.OK) {
      state.targetId = targetId;
      this.emit('subscribed', state.path, targetId);
    } else if (r.status !== STATUS.CONNECTION_FAILED) {
      throw new UbusError(r.status, `ubus subscribe ${state.path}: ${new UbusError(r.status).message}`);
    }
  }

  /**
   * Serves an object: `methods` maps each method to its parameter signature and handler. See `server.ts` for
   * how handler results and errors become DATA and STATUS.
   */
  addObject(name: string, methods: Record<string, MethodSpec>): Promise<UbusObject> {
    return this.registry.add(name, methods);
  }

  /** PING: ubusd echoes it. Resolves true if ubusd answered. */
  async ping(timeoutMs = 1000): Promise<boolean> {
    const r = await this.request({ type: MSG.PING, seq: this.nextSeq(), peer: 0, attrs: [] }, timeoutMs);
    return r.status === STATUS.OK;
  }

  /** Closes the connection for good: pending requests end with CONNECTION_FAILED, no reconnect. */
  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const sock = this.socket;
    if (sock) sock.destroy();
    else this.onClose();
  }
}
