/**
 * The object-server half of a ubus connection (libubus-obj.c): ADD_OBJECT with a SIGNATURE, INVOKE handling and
 * NOTIFY. An INVOKE is answered on the caller's seq and peer with optional DATA and then exactly one STATUS
 * (none when the caller set NO_REPLY). Whatever a handler does (throws, returns junk, never settles quickly)
 * becomes a status code; nothing here can take the process down.
 */
import { EventEmitter } from 'node:events';
import { BLOBMSG_TYPE, type BlobmsgNode, blobmsgTypeName } from './blobmsg.js';
import { type FromBlobmsgOptions, objectFromFields, RawTable, tableFields } from './blobmsg-json.js';
import { getAttr, type UbusMessage } from './message.js';
import { STATUS, UbusError } from './protocol.js';
import {
  addObjectMessage,
  notifyMessage,
  type ParamType,
  paramTypeId,
  removeObjectMessage,
  replyDataMessage,
  replyStatusMessage,
  signatureNodes,
} from './requests.js';

export interface RequestContext {
  method: string;
  objectId: number;
  /** The caller's client ID and sequence number (the reply goes back on them). */
  peer: number;
  seq: number;
  /** Added by ubusd to every forwarded INVOKE. */
  user: string | undefined;
  group: string | undefined;
  /** The arguments exactly as received. */
  fields: BlobmsgNode[];
  /** Sends one more DATA reply before the final one (multi-reply methods). */
  reply(data: Record<string, unknown> | RawTable): void;
}

/**
 * A handler returns the reply table (an object, or a RawTable for exact wire types), or undefined for no DATA. It throws `UbusError(status)` to answer
 * with that status; any other exception answers UNKNOWN_ERROR.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler may simply not return anything
export type MethodReply = Record<string, unknown> | RawTable | undefined | void;
export type MethodHandler = (args: Record<string, unknown>, req: RequestContext) => MethodReply | Promise<MethodReply>;

export interface MethodSpec {
  /** Parameter name -> blobmsg type ('STRING', 'INT32', 'BOOL', 'TABLE', ... or the numeric id). */
  signature?: Record<string, ParamType>;
  handler: MethodHandler;
}

export interface UbusObject extends EventEmitter {
  readonly name: string;
  /** Current ubus ID (changes after a reconnect). */
  readonly id: number;
  /** True while at least one subscriber is attached (ubusd tells us with NOTIFY ACTIVE). */
  readonly hasSubscribers: boolean;
  /** Sends a notification to every subscriber (NO_REPLY: fire and forget). False when not connected. */
  notify(type: string, data?: Record<string, unknown> | RawTable): boolean;
  /** Unregisters the object. */
  remove(): Promise<void>;
}

interface Transport {
  send(msg: UbusMessage): boolean;
  nextSeq(): number;
  request(msg: UbusMessage, onData?: (m: UbusMessage) => void): Promise<{ status: number; data: UbusMessage[] }>;
  int64: FromBlobmsgOptions['int64'];
  onHandlerError(err: unknown, method: string): void;
}

const INT_TYPES = new Set<number>([BLOBMSG_TYPE.INT8, BLOBMSG_TYPE.INT16, BLOBMSG_TYPE.INT32, BLOBMSG_TYPE.INT64]);

/**
 * Does `node` satisfy a declared parameter type? Integers of any width are accepted for an integer or double
 * parameter, because a JSON caller (`ubus call`, rpcd for LuCI) cannot choose the width; everything else must match.
 */
export function argMatches(declared: number, node: BlobmsgNode): boolean {
  const got = BLOBMSG_TYPE[node.type];
  if (declared === BLOBMSG_TYPE.UNSPEC || declared === got) return true;
  if (INT_TYPES.has(declared) && INT_TYPES.has(got)) return true;
  if (declared === BLOBMSG_TYPE.DOUBLE && INT_TYPES.has(got) && got !== BLOBMSG_TYPE.INT8) return true;
  return false;
}

class ServedObject extends EventEmitter implements UbusObject {
  id = 0;
  hasSubscribers = false;
  removed = false;
  constructor(
    readonly name: string,
    readonly methods: Record<string, MethodSpec>,
    private readonly registry: ObjectRegistry,
  ) {
    super();
  }

  notify(type: string, data: Record<string, unknown> | RawTable = {}): boolean {
    if (this.removed || this.id === 0) return false;
    return this.registry.notify(this, type, data);
  }

  remove(): Promise<void> {
    return this.registry.remove(this);
  }
}

export class ObjectRegistry {
  private objects = new Map<number, ServedObject>();
  private all: ServedObject[] = [];

  constructor(private readonly t: Transport) {}

  private signature(obj: ServedObject): BlobmsgNode[] {
    return signatureNodes(Object.fromEntries(Object.entries(obj.methods).map(([m, spec]) => [m, spec.signature])));
  }

  async add(name: string, methods: Record<string, MethodSpec>): Promise<UbusObject> {
    const obj = new ServedObject(name, methods, this);
    // Validate the signature before talking to ubusd, so a typo fails here with a clear message.
    this.signature(obj).forEach((m) => {
      for (const p of m.value as BlobmsgNode[]) {
        if (blobmsgTypeName(p.value as number) === undefined) {
          throw new UbusError(STATUS.INVALID_ARGUMENT, `method ${m.name}: parameter ${p.name} has unknown type`);
        }
      }
    });
    await this.register(obj);
    this.all.push(obj);
    return obj;
  }

  private async register(obj: ServedObject): Promise<void> {
    // Take the ID as soon as the DATA arrives: ubusd may send NOTIFY (ACTIVE) or an INVOKE for the new object
    // in the same read as our STATUS, before the awaiting code runs.
    const msg = addObjectMessage(this.t.nextSeq(), obj.name, this.signature(obj));
    const r = await this.t.request(msg, (m) => {
      const id = getAttr(m, 'OBJID');
      if (id === undefined) return;
      obj.id = id;
      obj.hasSubscribers = false;
      this.objects.set(id, obj);
    });
    if (r.status !== STATUS.OK || obj.id === 0) {
      if (obj.id !== 0) this.objects.delete(obj.id);
      obj.id = 0;
      throw new UbusError(r.status || STATUS.NO_DATA, `ubus: cannot register object '${obj.name}': status ${r.status}`);
    }
  }

  /** The connection dropped: every object is gone on ubusd's side. */
  connectionLost(): void {
    this.objects.clear();
    for (const o of this.all) {
      o.id = 0;
      o.hasSubscribers = false;
    }
  }

  async reregister(onError: (err: unknown) => void): Promise<void> {
    for (const o of this.all) {
      if (!o.removed) await this.register(o).catch(onError);
    }
  }

  async remove(obj: ServedObject): Promise<void> {
    if (obj.removed) return;
    obj.removed = true;
    this.all = this.all.filter((o) => o !== obj);
    if (obj.id !== 0) {
      this.objects.delete(obj.id);
      await this.t.request(removeObjectMessage(this.t.nextSeq(), obj.id));
      obj.id = 0;
    }
  }

  notify(obj: ServedObject, type: string, data: Record<string, unknown> | RawTable): boolean {
    const fields = data instanceof RawTable ? data.fields : tableFields(data);
    return this.t.send(notifyMessage(this.t.nextSeq(), obj.id, type, fields));
  }

  /** ubusd's NOTIFY to an owner carries ACTIVE: whether the object has subscribers. */
  onNotify(msg: UbusMessage): void {
    const obj = this.objects.get(getAttr(msg, 'OBJID') ?? 0);
    const active = getAttr(msg, 'ACTIVE');
    if (!obj || active === undefined) return;
    obj.hasSubscribers = active !== 0;
    obj.emit('subscribers', obj.hasSubscribers);
  }

  replyStatus(seq: number, peer: number, objectId: number, status: number): void {
    this.t.send(replyStatusMessage(seq, peer, objectId, status));
  }

  onInvoke(msg: UbusMessage): undefined {
    const objectId = getAttr(msg, 'OBJID') ?? 0;
    const noReply = (getAttr(msg, 'NO_REPLY') ?? 0) !== 0;
    const finish = (status: number): undefined => {
      if (!noReply) this.replyStatus(msg.seq, msg.peer, objectId, status);
    };
    const obj = this.objects.get(objectId);
    if (!obj) return finish(STATUS.NOT_FOUND);
    const method = getAttr(msg, 'METHOD');
    if (method === undefined) return finish(STATUS.INVALID_ARGUMENT);
    const spec = Object.hasOwn(obj.methods, method) ? obj.methods[method] : undefined;
    if (!spec) return finish(STATUS.METHOD_NOT_FOUND);
    const fields = getAttr(msg, 'DATA');
    if (fields === undefined) return finish(STATUS.INVALID_ARGUMENT);
    for (const f of fields) {
      const declared = f.name !== undefined ? spec.signature?.[f.name] : undefined;
      if (declared !== undefined && !argMatches(paramTypeId(declared), f)) return finish(STATUS.INVALID_ARGUMENT);
    }
    const connectedId = obj.id;
    const stillHere = () => obj.id === connectedId && !obj.removed;
    const sendData = (data: unknown) => {
      if (noReply || !stillHere()) return;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new UbusError(STATUS.UNKNOWN_ERROR, `handler for ${method} returned a non-object reply`);
      }
      const fields = data instanceof RawTable ? data.fields : tableFields(data as Record<string, unknown>);
      this.t.send(replyDataMessage(msg.seq, msg.peer, objectId, fields));
    };
    const req: RequestContext = {
      method,
      objectId,
      peer: msg.peer,
      seq: msg.seq,
      user: getAttr(msg, 'USER'),
      group: getAttr(msg, 'GROUP'),
      fields,
      reply: sendData,
    };
    const fail = (err: unknown) => {
      if (!(err instanceof UbusError)) this.t.onHandlerError(err, method);
      if (stillHere()) finish(err instanceof UbusError ? err.status : STATUS.UNKNOWN_ERROR);
    };
    const done = (result: unknown) => {
      try {
        if (result !== undefined) sendData(result);
      } catch (err) {
        fail(err);
        return;
      }
      if (stillHere()) finish(STATUS.OK);
    };
    let result: unknown;
    try {
      const args = objectFromFields(fields, { int64: this.t.int64 });
      result = spec.handler(args, req);
    } catch (err) {
      fail(err);
      return;
    }
    if (result instanceof Promise) result.then(done, fail);
    else done(result);
  }
}
